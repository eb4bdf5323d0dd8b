package dev.burrow.daemon.api;

import dev.burrow.daemon.images.ImageService;
import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Uploads;
import dev.burrow.vmm.HostProfile;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/** The REST API of SPEC §3 that exists so far, on one {@link ApiServer}. */
public final class Api implements AutoCloseable {

    private final ApiServer server;

    public Api(String host, int port, ApiKeys keys, Function<String, ImageService> images, MicroVmService microvms,
               Uploads uploads, Path uploadDir, HostProfile profile, Supplier<Map<String, String>> readiness,
               dev.burrow.daemon.store.IdempotencyKeys idempotency, dev.burrow.daemon.store.EventLog events) {
        server = new ApiServer(host, port, keys).idempotency(idempotency);
        new SystemRoutes(profile, readiness).register(server);
        new ImageRoutes(images, uploads, uploadDir, microvms).register(server);
        new MicroVmRoutes(microvms).register(server);
        new EventRoutes(events).register(server);
    }

    public void start() throws Exception {
        server.start();
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
