package dev.burrow.daemon.api;

import dev.burrow.api.ApiContract;
import dev.burrow.vmm.HostProfile;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Version, liveness, readiness and the OpenAPI document. */
final class SystemRoutes {

    private final HostProfile profile;
    private final Supplier<Map<String, String>> readiness;

    SystemRoutes(HostProfile profile, Supplier<Map<String, String>> readiness) {
        this.profile = profile;
        this.readiness = readiness;
    }

    void register(ApiServer api) {
        api.route("GET", "/healthz", c -> c.send(200, Map.of("status", "ok")));
        api.route("GET", "/readyz", c -> {
            Map<String, String> checks = readiness.get();
            boolean ready = checks.values().stream().noneMatch(v -> v.startsWith("failed") || v.equals("building"));
            c.send(ready ? 200 : 503, Map.of("status", ready ? "ready" : "not-ready", "checks", checks));
        });
        api.route("GET", "/v1/version", c -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("server", Version.SERVER);
            v.put("agentProtocol", profile.agentProtocol());
            v.put("vmm", profile.vmm() + " " + profile.vmmVersion());
            v.put("accelerator", profile.accelerator().name());
            v.put("kernel", profile.kernel());
            c.send(200, v);
        });
        api.route("GET", "/v1/openapi.json", c -> c.send(200, ApiContract.get().openApiJson()));
    }
}
