package dev.burrow.daemon.metrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/** The daemon's metric families, written in the order they were added. */
public final class Metrics {

    private final List<Consumer<PrometheusText>> families = new CopyOnWriteArrayList<>();

    /** A family that writes itself (its HELP, TYPE and samples). */
    public Metrics add(Consumer<PrometheusText> family) {
        families.add(family);
        return this;
    }

    /** A gauge read when scraped. */
    public Metrics gauge(String name, String help, LongSupplier value) {
        return add(out -> out.family(name, "gauge", help).sample(name, value.getAsLong()));
    }

    /** Everything, as {@code GET /metrics} answers it. */
    public String text() {
        PrometheusText out = new PrometheusText();
        families.forEach(f -> f.accept(out));
        return out.toString();
    }
}
