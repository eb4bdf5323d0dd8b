package dev.burrow.daemon.api;

import dev.burrow.daemon.aws.AwsAuthenticator;
import dev.burrow.daemon.aws.S3Objects;
import dev.burrow.daemon.egress.DecisionLog;
import dev.burrow.daemon.images.ImageService;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.builtin.ManagedBase;
import dev.burrow.daemon.ingress.Ingress;
import dev.burrow.daemon.logs.LogSettings;
import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.microvms.lifecycle.MicroVmState;
import dev.burrow.daemon.microvms.files.ExecBuiltins;
import dev.burrow.daemon.microvms.files.FileLimits;
import dev.burrow.daemon.microvms.files.GuestFiles;
import dev.burrow.daemon.registries.RegistryCredentials;
import dev.burrow.daemon.space.SpaceService;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.AwsCredentials;
import dev.burrow.daemon.store.EventLog;
import dev.burrow.daemon.store.IdempotencyKeys;
import dev.burrow.daemon.store.ImageTags;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.daemon.store.TenantQuotas;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.daemon.store.Uploads;
import dev.burrow.daemon.tokens.Tokens;
import dev.burrow.oci.dockerfile.ContextLimits;
import dev.burrow.vmm.HostProfile;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/** The REST API of SPEC §3 that exists so far, on one {@link ApiServer}, with the janitor expiring what it accumulates. */
public final class Api implements AutoCloseable {

    private final ApiServer server;
    private final ApiJanitor janitor;
    private final MicroVmService microvms;
    private final AdminRoutes admin;
    private final Tokens tokens;
    private final IdempotencyKeys idempotency;
    private final Function<String, ImageService> images;
    private final Uploads uploads;
    private final Path uploadDir;
    private final ApiLimits limits;

    /** Tenants and their quotas, and what drops a deleted tenant's cached state (its image service, its directory). */
    public record Tenancy(Tenants tenants, TenantQuotas quotas, Consumer<String> forget) {}

    /**
     * What the AWS door's catalog serves (managed images, tags): the image tags, the managed bases,
     * a base's published versions (its public image of the admin tenant; none when unpublished),
     * when this daemon began to offer the bases, and the Burrow image name of an AWS image name.
     */
    public record Catalog(ImageTags tags, List<ManagedBase> bases, Function<String, List<ImageVersion>> publishedVersions,
                          Instant offeredSince, UnaryOperator<String> imageName) {
        public Catalog {
            bases = List.copyOf(bases);
        }
    }

    public Api(String host, int port, ApiKeys keys, Function<String, ImageService> images, MicroVmService microvms,
               Uploads uploads, Path uploadDir, HostProfile profile, Supplier<Map<String, String>> readiness,
               IdempotencyKeys idempotency, EventLog events, Tokens tokens, ApiLimits limits, Tenancy tenancy) {
        this.microvms = microvms;
        this.tokens = tokens;
        this.idempotency = idempotency;
        this.images = images;
        this.uploads = uploads;
        this.uploadDir = uploadDir;
        this.limits = limits;
        server = new ApiServer(host, port, keys, limits).idempotency(idempotency).webSocketTokens(tokens);
        new SystemRoutes(profile, readiness).register(server);
        new ImageRoutes(images, uploads, uploadDir, microvms, limits, tenancy.quotas()).register(server);
        admin = new AdminRoutes(tenancy.tenants(), keys, tenancy.quotas(),
                new TenantTeardown(microvms, images, uploads, tenancy.tenants(), tenancy.forget()), events);
        admin.register(server);
        new MicroVmRoutes(microvms).register(server);
        new EventRoutes(events).register(server);
        new LogRoutes((tenant, id) -> {
            MicroVmRecord r = microvms.get(tenant, id);
            return new LogRoutes.Console(MicroVmState.valueOf(r.state()), r.stateReason(), microvms.console(id));
        }, LogSettings.DEFAULTS).register(server);
        new TokenRoutes(microvms, tokens, limits).register(server);
        new PtyRoutes(new MicroVmPtys(microvms), PtyLimits.DEFAULTS).register(server);
        new ShellPage(tokens, ShellAssets.load(), Clock.systemUTC()).register(server);
        new FileRoutes(new GuestFiles(new ExecBuiltins(microvms), FileLimits.DEFAULTS)).register(server);
        janitor = new ApiJanitor(uploads, idempotency, events, tokens, uploadDir, limits);
    }

    /** Serves the egress decisions of microVMs at GET /v1/microvms/{id}/egress. */
    public Api egress(DecisionLog decisions) {
        new EgressRoutes(microvms, decisions).register(server);
        return this;
    }

    /** Serves GET /metrics (SPEC §4: Prometheus text, no auth, no per-tenant labels). */
    public Api metrics(Supplier<String> text) {
        new MetricsRoutes(text).register(server);
        return this;
    }

    /** Serves the tenant's registry logins at /v1/registries (SPEC §3). */
    public Api registries(RegistryCredentials credentials) {
        new RegistryRoutes(credentials).register(server);
        return this;
    }

    /** Serves GET /v1/system/df and POST /v1/system/prune (admin keys only). */
    public Api space(SpaceService space) {
        new SpaceRoutes(space).register(server);
        return this;
    }

    /**
     * Serves the Lambda MicroVMs API (SPEC §8) on the same listener: every operation of the
     * model, signed requests checked by {@code auth}.
     */
    public Api aws(AwsAuthenticator auth, Catalog catalog, Optional<S3Objects> s3) {
        server.awsAuthenticator(auth);
        // one mapping of AWS image names onto Burrow's for every operation that names an image
        Catalog named = new Catalog(catalog.tags(), catalog.bases(), catalog.publishedVersions(), catalog.offeredSince(),
                AwsImageNames::toBurrow);
        ImageTags tags = catalog.tags();
        AwsImageRoutes.Tagging tagging = new AwsImageRoutes.Tagging() {
            @Override
            public Map<String, String> tags(String tenantId, String image) {
                return tags.tags(tenantId, AwsImageNames.toBurrow(image));
            }

            @Override
            public void tag(String tenantId, String image, Map<String, String> values) {
                tags.tag(tenantId, AwsImageNames.toBurrow(image), values);
            }
        };
        new AwsMicroVmRoutes(microvms, tokens, idempotency, (tenant, name) -> AwsImageRoutes.spelling(images.apply(tenant), name))
                .register(server);
        new AwsImageRoutes(images, uploads, new AwsCodeArtifacts(uploads, uploadDir, s3.<AwsCodeArtifacts.S3Download>map(o -> o::download)
                .orElse(null), limits.maxUploadBytes(), limits.uploadTtl(), ContextLimits.DEFAULT), microvms, idempotency, tagging)
                .register(server);
        new AwsCatalogRoutes(named).register(server);
        return this;
    }

    /** Lets admin key creation issue AWS credentials ({@code "aws": true}) and key listings show access key ids. */
    public Api awsCredentials(AwsCredentials credentials) {
        admin.awsCredentials(credentials);
        return this;
    }

    /** Replaces the AWS door's authenticator (tests put one that skips the signature check before SigV4 is in). */
    public Api awsAuthenticator(AwsAuthenticator auth) {
        server.awsAuthenticator(auth);
        return this;
    }

    /** Serves the ingress endpoint (SPEC §3) on the same listener, before the routes. */
    public Api ingress(Ingress ingress) {
        server.ingress(ingress);
        return this;
    }

    public void start() throws Exception {
        server.start();
        janitor.start();
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() throws Exception {
        janitor.close();
        server.close();
    }
}
