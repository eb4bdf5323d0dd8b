package dev.burrow.daemon.api;

import dev.burrow.daemon.metrics.PrometheusText;
import java.util.function.Supplier;

/**
 * {@code GET /metrics}: Prometheus text 0.0.4 without an API key (SPEC §4), so a scraper on the
 * host needs no credential; it holds no per-tenant label, nothing a tenant could learn of another.
 */
final class MetricsRoutes {

    private final Supplier<String> text;

    MetricsRoutes(Supplier<String> text) {
        this.text = text;
    }

    void register(ApiServer api) {
        api.publicRoute("GET", "/metrics", c -> c.sendText(200, PrometheusText.CONTENT_TYPE, text.get()));
    }
}
