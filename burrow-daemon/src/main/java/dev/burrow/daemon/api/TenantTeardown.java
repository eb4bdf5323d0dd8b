package dev.burrow.daemon.api;

import dev.burrow.daemon.images.ImageService;
import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.daemon.store.Uploads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a tenant owns, and its removal through the services that own each part: microVMs are
 * terminated by the lifecycle (VMMs ended, files reclaimed), images deleted by the image service
 * (templates, warm VMMs), upload files removed — only then the tenant's rows and keys go.
 */
final class TenantTeardown {

    private static final Logger LOG = LoggerFactory.getLogger(TenantTeardown.class);

    private final MicroVmService microvms;
    private final Function<String, ImageService> images;
    private final Uploads uploads;
    private final Tenants tenants;
    private final Consumer<String> forget;

    /** {@code forget}: drops what the daemon keeps for a deleted tenant (its image service, its directory). */
    TenantTeardown(MicroVmService microvms, Function<String, ImageService> images, Uploads uploads, Tenants tenants,
                   Consumer<String> forget) {
        this.microvms = microvms;
        this.images = images;
        this.uploads = uploads;
        this.tenants = tenants;
        this.forget = forget;
    }

    /** What stops a delete without force: the tenant's microVMs (not TERMINATED or FAILED) and images. */
    Map<String, Integer> counts(String tenantId) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put("microvms", microvms.open(tenantId).size());
        counts.put("images", images.apply(tenantId).imageNames().size());
        return counts;
    }

    /** Terminates, deletes and removes everything of the tenant, then the tenant; false when it was gone already. */
    boolean remove(String tenantId, String requestId) {
        for (MicroVmRecord r : microvms.open(tenantId)) {
            microvms.terminate(tenantId, r.id(), requestId);
        }
        ImageService own = images.apply(tenantId);
        for (String name : own.imageNames()) {
            own.delete(name);
        }
        for (Path file : uploads.deleteAll(tenantId)) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warn("cannot delete upload file {} of a deleted tenant: {}", file.getFileName(), e.getMessage());
            }
        }
        boolean deleted = tenants.delete(tenantId);
        forget.accept(tenantId);
        return deleted;
    }
}
