package dev.burrow.daemon;

import dev.burrow.daemon.api.Api;
import dev.burrow.daemon.aws.AwsAuthenticator;
import dev.burrow.daemon.aws.S3Objects;
import dev.burrow.daemon.aws.SigV4Authenticator;
import dev.burrow.daemon.api.Version;
import dev.burrow.daemon.egress.DecisionLog;
import dev.burrow.daemon.egress.Egress;
import dev.burrow.daemon.files.FileModes;
import dev.burrow.daemon.images.ImageRecord;
import dev.burrow.daemon.images.ImageService;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.SourceResolver;
import dev.burrow.daemon.images.VersionState;
import dev.burrow.daemon.images.build.BuildCache;
import dev.burrow.daemon.images.build.DockerfileSettings;
import dev.burrow.daemon.images.build.DockerfileSource;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.daemon.images.builtin.ManagedBase;
import dev.burrow.daemon.images.builtin.ManagedBases;
import dev.burrow.daemon.images.builtin.PublicImageUpkeep;
import dev.burrow.daemon.ingress.Ingress;
import dev.burrow.daemon.ingress.IngressSettings;
import dev.burrow.daemon.ingress.MicroVmGuests;
import dev.burrow.daemon.logging.LogFiles;
import dev.burrow.daemon.metrics.Metrics;
import dev.burrow.daemon.metrics.RunMetrics;
import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.microvms.lifecycle.AgentCpuProbe;
import dev.burrow.daemon.microvms.lifecycle.AgentHooks;
import dev.burrow.daemon.microvms.lifecycle.HostMemory;
import dev.burrow.daemon.microvms.lifecycle.Lifecycle;
import dev.burrow.daemon.registries.RegistryCredentials;
import dev.burrow.daemon.registries.RegistryPulls;
import dev.burrow.daemon.registries.SecretBox;
import dev.burrow.daemon.space.DatabaseReferrers;
import dev.burrow.daemon.space.SpaceService;
import dev.burrow.daemon.space.SpaceSettings;
import dev.burrow.daemon.standby.StandbyPool;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.AwsCredentials;
import dev.burrow.daemon.store.BuildCacheRows;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.EventLog;
import dev.burrow.daemon.store.IdempotencyKeys;
import dev.burrow.daemon.store.ImageTags;
import dev.burrow.daemon.store.MicroVmRecords;
import dev.burrow.daemon.store.SqliteImageStore;
import dev.burrow.daemon.store.StandbyVersions;
import dev.burrow.daemon.store.TenantQuotas;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.daemon.store.Uploads;
import dev.burrow.daemon.tokens.Tokens;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.registry.RegistryClient;
import dev.burrow.oci.registry.RegistrySettings;
import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.net.VethPath;
import dev.burrow.vmm.qemu.QemuHypervisor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon: SQLite state, the engine, the image and microVM services, the REST API. Stopping
 * it leaves microVMs running; the next start adopts them (SPEC §4 `burrow down`).
 */
public final class Burrowd implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Burrowd.class);
    public static final String DEMO_IMAGE = "demo";
    /** Which guest agent (SHA-256 of the binary) the demo image's newest version carries. */
    private static final String DEMO_AGENT_MARKER = "demo-agent.sha256";
    private static final Duration DEMO_BUILD_TIMEOUT = Duration.ofMinutes(30);
    /**
     * Standbys of the demo's newest version (more when its settings ask for more): two, so a
     * run right after another still finds one while the first refills (docs/standby.md).
     */
    static final int DEMO_STANDBYS = 2;
    /** Per managed base, what its newest version was built from (recipe and guest agent). */
    private static final String MANAGED_BASE_MARKERS = "managed-bases";

    private final DaemonConfig config;
    private final Database db;
    private final QemuHypervisor engine;
    private final Map<String, ImageService> imageServices = new ConcurrentHashMap<>();
    private final MicroVmService microvms;
    private final Lifecycle lifecycle;
    private final Api api;
    private final String adminTenant;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile String demoFailure;
    /** A demo version is being built: readiness waits for it, so `burrow up` returns with a demo that has this build's agent. */
    private volatile boolean demoBuilding;
    private final EventLog events;
    private final Egress egress;
    /** Every tenant's blobs, content-addressed and verified (issue 11: registry pulls are shared, builds FROM versions). */
    private final BlobStore blobs;
    /** Resolve {@code registry} sources (pulls with the tenant's logins) and {@code dockerfile} ones (builds in builder microVMs). */
    private final RegistryPulls registrySource; // also the RegistryPuller a Dockerfile's FROM host/repo:tag pulls with
    private final SourceResolver dockerfileSource;
    /** Dockerfile layers per tenant; the collector keeps what it names. */
    private final BuildCache buildCache;
    /** Each tenant's registry logins, secrets sealed under the data directory's key. */
    private final RegistryCredentials registryLogins;
    /** One registry client for every tenant's pulls: its connections and cached bearer tokens are keyed by credentials. */
    private final RegistryClient registryClient;
    /** What the data directory holds and the collector of what nothing needs (GET /v1/system/df, POST /v1/system/prune). */
    private final SpaceService space;
    /** The managed bases' OCI layouts in the cache directory, built when first asked for. */
    private final ManagedBases managedBases;
    /** What GET /metrics serves. */
    private final Metrics metrics = new Metrics();
    /** Which versions keep standbys and how many (the demo's newest, versions with {@code standby}). */
    private final StandbyPool standby;
    private final StandbyVersions standbyVersions;

    private Burrowd(DaemonConfig config) throws Exception {
        this.config = config;
        // before anything is created: files 0600 and directories 0700 for burrowd and the VMMs it spawns
        FileModes.restrictUmask();
        int tightened = FileModes.secureDataDirectory(config.dataDir());
        if (tightened > 0) {
            LOG.info("took group and other permissions off {} entries under the data directory", tightened);
        }
        Files.writeString(config.dataDir().resolve("burrowd.pid"), ProcessHandle.current().pid() + "\n");
        this.db = Database.open(config.dataDir().resolve("burrow.db"));
        this.blobs = new BlobStore(Files.createDirectories(config.dataDir().resolve("blobs")));
        this.registryLogins = new RegistryCredentials(db, SecretBox.open(config.dataDir()), Clock.systemUTC());
        this.registryClient = new RegistryClient(RegistrySettings.defaults().withInsecureHosts(config.insecureRegistries()));
        this.registrySource = new RegistryPulls(registryClient, registryLogins, blobs);
        this.space = new SpaceService(config.dataDir(), blobs, new DatabaseReferrers(db, new Uploads(db)), SpaceSettings.DEFAULTS,
                Clock.systemUTC());
        this.managedBases = new ManagedBases(config.cacheDir().resolve("images"), config.dataDir().resolve("tmp"));
        Tenants tenants = new Tenants(db);
        Optional<String> firstKey = tenants.ensureAdmin();
        this.adminTenant = tenants.byName("admin").orElseThrow().id();
        if (firstKey.isPresent()) {
            Path keyFile = config.dataDir().resolve("admin.key");
            Files.deleteIfExists(keyFile);
            // created 0600 before the key is written: never readable by others, not even briefly
            Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(keyFile, firstKey.get() + "\n");
            LOG.info("created the admin API key; it is in {} (readable by root only)", keyFile);
        }
        this.engine = QemuHypervisor.start(EngineConfig.defaults(config.dataDir(), config.cacheDir()));
        this.egress = new Egress(config.egress(), new DecisionLog(config.egress().decisionsKept(), Clock.systemUTC()),
                id -> engine.network(id).map(VethPath::hostAddress));
        this.buildCache = new BuildCache(new BuildCacheRows(db), blobs);
        space.register(buildCache);
        // FROM host/repo pulls with the tenant's registry logins; FROM python (no image of that name) takes the managed base;
        // a builder's egress is served and recorded like a microVM's
        this.dockerfileSource = DockerfileSource.onEngine(engine, egress, buildCache, registrySource, this::imageRecord,
                name -> managedBases.manifest(name, blobs), DockerfileSettings.DEFAULT);
        this.events = new EventLog(db);
        MicroVmRecords records = new MicroVmRecords(db, events);
        MicroVmService[] service = new MicroVmService[1];
        this.lifecycle = new Lifecycle(engine, records, events, new AgentHooks(), new AgentCpuProbe(), Clock.systemUTC(),
                config.lifecycle(), r -> service[0].settingsOf(r), HostMemory::availableMiB);
        TenantQuotas quotas = new TenantQuotas(db);
        quotas.clearHolds(); // a hold belongs to a request of the process before this one
        this.microvms = new MicroVmService(lifecycle, records, this::imageServiceFor, config.minDurationSeconds(),
                config.maxDurationSeconds(), Clock.systemUTC(), quotas);
        service[0] = microvms;
        lifecycle.onRun(new RunMetrics().register(metrics));
        this.standbyVersions = new StandbyVersions(db);
        this.standby = new StandbyPool(engine, this::standbyWants, config.lifecycle().standbyMemoryMiB(),
                config.lifecycle().minAvailableMiB(), HostMemory::availableMiB).register(metrics);
        lifecycle.networking(egress, QemuHypervisor::newVmId);
        // every open record gets its supervisor before the API answers; resolving them runs with the API up
        CompletableFuture<Void> reconciled = lifecycle.reconcileAsync();
        ApiKeys keys = new ApiKeys(db);
        Tokens tokens = new Tokens(db, Clock.systemUTC());
        this.api = new Api(config.host(), config.port(), keys, this::images, microvms, new Uploads(db),
                config.dataDir().resolve("uploads"), engine.profile(), this::readiness,
                new IdempotencyKeys(db), events, tokens, config.apiLimits(), new Api.Tenancy(tenants, quotas, this::forgetTenant));
        api.egress(egress.decisions());
        api.registries(registryLogins);
        api.space(space);
        api.metrics(metrics::text);
        AwsCredentials awsCredentials = new AwsCredentials(db, SecretBox.open(config.dataDir(), AwsCredentials.KEY_FILE));
        api.awsCredentials(awsCredentials);
        api.aws(new SigV4Authenticator(awsCredentials::find, Clock.systemUTC()), new Api.Catalog(new ImageTags(db), managedBases.all(),
                this::publishedBase, Instant.now(), UnaryOperator.identity()), S3Objects.from(config.s3()));
        api.ingress(new Ingress(config.apiLimits().domain(), tokens, new MicroVmGuests(microvms, lifecycle), IngressSettings.DEFAULTS,
                Clock.systemUTC()));
        api.start();
        reconciled.join();
        lifecycle.startTimers();
        standby.start();
        LOG.info("burrowd {} listening on http://{}:{} (data {}, instance {})", Version.SERVER,
                config.host(), api.port(), config.dataDir(), engine.config().instanceId());
        if (config.dev()) {
            Thread.ofVirtual().name("demo-image").start(this::ensureDemoImage);
        }
    }

    /** The AWS door's authenticator, replaced by tests of this package. */
    void awsAuthenticator(AwsAuthenticator auth) {
        api.awsAuthenticator(auth);
    }

    public static Burrowd start(DaemonConfig config) throws Exception {
        return new Burrowd(config);
    }

    /** The engine: benchmarks turn its network path on here (NetPathBench); no API reaches it. */
    public QemuHypervisor engine() {
        return engine;
    }

    public int port() {
        return api.port();
    }

    /** The image service of a tenant: its own images under {@code dataDir/tenants/<id>}, blobs in the shared store. */
    ImageService images(String tenantId) {
        return imageServices.computeIfAbsent(tenantId, t -> {
            try {
                ImageService s = new ImageService(t, new SqliteImageStore(db, t), engine, config.dataDir(),
                        config.dataDir().resolve("tenants").resolve(t), blobs, registrySource, dockerfileSource,
                        config.maxConcurrentBuilds());
                s.onEvent(e -> events.append(e.kind(), e.ref(), e.from(), e.to(), e.reason(), null, t));
                s.onEvent(e -> standby.changed()); // a version built, (de)activated, deleted or its standby count changed
                s.guardResolution(space.gate().resolving());
                return s;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** A deleted tenant: its image service ends and its directory (blobs, image files) goes. */
    private void forgetTenant(String tenantId) {
        ImageService s = imageServices.remove(tenantId);
        if (s != null) {
            s.close();
        }
        FileTrees.deleteQuietly(config.dataDir().resolve("tenants").resolve(tenantId));
    }

    /** Where a tenant's image of that name lives: its own, else the admin tenant's when public. */
    private Optional<ImageService> imageServiceFor(String tenantId, String image) {
        ImageService own = images(tenantId);
        if (!own.versions(image).isEmpty()) {
            return Optional.of(own);
        }
        ImageService admin = images(adminTenant);
        return admin.isPublic(image) ? Optional.of(admin) : Optional.empty();
    }

    /**
     * The image record of a tenant's version for a Dockerfile's {@code FROM name[:version]}: its
     * own image, else a public one; {@code version} null = the newest READY and ACTIVE version.
     */
    private Optional<Descriptor> imageRecord(String tenantId, String name, Integer version) throws IOException {
        Optional<ImageService> s = imageServiceFor(tenantId, name);
        if (s.isEmpty()) {
            return Optional.empty();
        }
        Optional<ImageVersion> v = version == null ? s.get().newestRunnable(name)
                : s.get().version(name, version).filter(x -> x.state() == VersionState.READY);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        return ImageRecord.read(s.get().imageDir(name).resolve(Integer.toString(v.get().version())));
    }

    /**
     * Builds the public demo image on first use, and a new version of it when the guest agent or
     * kernel command line in this build differs from the one its newest version was built with (an upgraded Burrow's
     * terminal and file calls need the new agent in the template: SPEC §1, versions are immutable).
     * Then the managed bases, which readiness does not wait for.
     */
    private void ensureDemoImage() {
        ImageService admin = images(adminTenant);
        try {
            String agent = QemuHypervisor.guestMark();
            boolean exists = !admin.versions(DEMO_IMAGE).isEmpty();
            PublicImageUpkeep.Outcome o = upkeep(admin).ensure(DEMO_IMAGE, config.dataDir().resolve(DEMO_AGENT_MARKER), agent,
                    () -> BuiltinImages.debianPython(config.cacheDir().resolve("images"), Files.createDirectories(config.dataDir().resolve("tmp"))),
                    () -> {
                        demoBuilding = true;
                        LOG.info(exists ? "building a new version of the demo image: its newest was built with another guest agent"
                                : "building the public demo image (Debian + python3; the first time takes a minute or two)");
                    });
            if (o.ok()) {
                standby.changed(); // the demo's newest version keeps standbys
            } else {
                demoFailure = o.failure();
                LOG.error("the demo image could not be built: {}", o.failure());
            }
        } catch (Exception e) { // the agent's hash
            demoFailure = e.getMessage();
            LOG.error("the demo image could not be built: {}", e.getMessage());
        } finally {
            demoBuilding = false;
        }
        ensureManagedBases(admin);
    }

    private PublicImageUpkeep upkeep(ImageService admin) {
        return new PublicImageUpkeep(admin, name -> new SqliteImageStore(db, adminTenant).setPublic(name, true), DEMO_BUILD_TIMEOUT);
    }

    // ---- managed bases (issue 11, docs/bases.md) ------------------------------------------------

    /**
     * Publishes each managed base {@link DaemonConfig#managedBases()} names as a public image of the
     * admin tenant named as the base, with a new version whenever its recipe version or the guest
     * agent changed. One at a time, in the background after the demo; a failure is logged and
     * leaves the others to go on.
     */
    private void ensureManagedBases(ImageService admin) {
        if (config.managedBases().isEmpty()) {
            return;
        }
        String agent;
        try {
            agent = QemuHypervisor.guestMark();
        } catch (Exception e) {
            LOG.error("managed bases not published: cannot hash the guest agent: {}", e.getMessage());
            return;
        }
        PublicImageUpkeep upkeep = upkeep(admin);
        for (ManagedBase base : config.managedBases()) {
            long t0 = System.nanoTime();
            PublicImageUpkeep.Outcome o = upkeep.ensure(base.name(), config.dataDir().resolve(MANAGED_BASE_MARKERS).resolve(base.name()),
                    base.stamp() + " agent " + agent, () -> managedBases.layout(base.name()),
                    () -> LOG.info("building the managed base {} ({})", base.name(), base.stamp()));
            if (!o.ok()) {
                LOG.error("the managed base {} could not be built: {}", base.name(), o.failure());
            } else if (o.built()) {
                LOG.info("managed base {} published as {} in {} s", base.name(), o.version().ref(), (System.nanoTime() - t0) / 1_000_000_000L);
            }
        }
    }

    /** The versions of a managed base's published image (the admin tenant's public image of that name); none when unpublished. */
    private List<ImageVersion> publishedBase(String name) {
        ImageService admin = images(adminTenant);
        return admin.isPublic(name) ? admin.versions(name) : List.of();
    }

    /** The managed bases' layouts, for Dockerfile builds {@code FROM <base>} (contract 7 of issue 11). */
    public ManagedBases managedBases() {
        return managedBases;
    }

    // ---- end of managed bases -------------------------------------------------------------------

    /**
     * What the standby pool is asked to keep: the demo's newest runnable version first (in the
     * development profile), then each tenant's versions whose settings ask for standbys and
     * may have them ({@link StandbyVersions}).
     */
    private List<StandbyPool.Want> standbyWants() {
        List<StandbyPool.Want> out = new ArrayList<>();
        if (config.dev()) {
            ImageService admin = images(adminTenant);
            admin.newestRunnable(DEMO_IMAGE).ifPresent(v ->
                    out.add(standbyWant(adminTenant, admin, v, Math.max(DEMO_STANDBYS, v.settings().standbyCount()))));
        }
        for (StandbyVersions.Row r : standbyVersions.list()) {
            ImageService s = images(r.tenantId());
            s.version(r.image(), r.version()).ifPresent(v -> out.add(standbyWant(r.tenantId(), s, v, r.standby())));
        }
        return out;
    }

    private static StandbyPool.Want standbyWant(String tenantId, ImageService s, ImageVersion v, int count) {
        return new StandbyPool.Want(tenantId + "/" + v.ref(), count, v.settings().resources().memoryMiB(), () -> s.template(v));
    }

    private Map<String, String> readiness() {
        Map<String, String> checks = new LinkedHashMap<>();
        try {
            db.read(c -> c.createStatement().execute("select 1"));
            checks.put("database", "ok");
        } catch (RuntimeException e) {
            LOG.warn("readiness: the database does not answer: {}", e.getMessage());
            checks.put("database", "failed: the database does not answer (see the daemon log)");
        }
        checks.put("storage", Files.isWritable(config.dataDir()) ? "ok" : "failed: the data directory is not writable");
        checks.put("kernel", engine.profile().kernel());
        checks.put("accelerator", engine.profile().accelerator().name());
        if (config.dev()) {
            ImageService admin = images(adminTenant);
            // `burrow up` waits for readiness, so the demo is runnable when it returns; a failed demo
            // build is reported but does not keep the daemon unready
            checks.put("demoImage", !demoBuilding && admin.newestRunnable(DEMO_IMAGE).isPresent() ? "ok"
                    : demoFailure != null ? "unavailable: " + demoFailure : "building");
        }
        return checks;
    }

    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    @Override
    public void close() {
        try {
            api.close();
        } catch (Exception e) {
            LOG.warn("stopping the API: {}", e.getMessage());
        }
        microvms.close();
        standby.close(); // before the engine: its standbys end with it
        egress.close(); // the VMMs run on and are adopted with their egress at the next start
        imageServices.values().forEach(ImageService::close);
        registryClient.close(); // after the builds that pull with it
        engine.close();
        db.close();
        try {
            Files.deleteIfExists(config.dataDir().resolve("burrowd.pid"));
        } catch (IOException ignored) {
            // best effort
        }
        stopped.countDown();
    }

    public static void main(String[] args) throws Exception {
        FileModes.restrictUmask();
        String logFile = System.getenv("BURROW_LOG_FILE");
        if (logFile != null && !logFile.isBlank()) {
            LogFiles.rotateInto(Path.of(logFile));
        }
        DaemonConfig config = DaemonConfig.fromEnvironment(System.getenv());
        Burrowd d;
        try {
            d = start(config);
        } catch (Exception e) {
            LOG.error("burrowd could not start: {}", e.getMessage(), e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(d::close, "burrowd-shutdown"));
        d.awaitStop();
    }
}
