package dev.burrow.daemon.images;

import dev.burrow.oci.BlobStore;
import dev.burrow.vmm.Hypervisor;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.internal.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.Lock;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Images and their versions: create, add a version (inheriting the previous settings), build
 * asynchronously ({@code PENDING → BUILDING → READY | FAILED}), look up. Builds run on virtual
 * threads, at most {@code maxConcurrentBuilds} at once (each boots a VM).
 *
 * <p>No host path reaches a tenant: build failures, the build log and a version's {@code source}
 * name files relative to the image root or the data directory ({@link HostPaths}).
 */
public final class ImageService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ImageService.class);
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    /** How many templates' manifests are kept parsed; over it the cache starts again empty. */
    static final int MAX_TEMPLATES = 256;

    private final ImageStore store;
    private final Hypervisor engine;
    private final Path dataDir;
    private final Path tenantDir;
    private final Path imagesDir;
    private final BlobStore blobs;
    private final VersionBuilder builder;
    private final Semaphore buildSlots;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Consumer<ImageEvent>> listeners = new CopyOnWriteArrayList<>();
    /** Parsed template manifests by template directory, each with the manifest file's time and size when it was read. */
    private final Map<Path, LoadedTemplate> templates = new ConcurrentHashMap<>();

    private record LoadedTemplate(Template template, FileTime modified, long size) {}

    /** One tenant's service whose files are all under {@code dataDir} (tests; a single-tenant host). */
    public ImageService(ImageStore store, Hypervisor engine, Path dataDir, int maxConcurrentBuilds) throws IOException {
        this("default", store, engine, dataDir, dataDir, maxConcurrentBuilds);
    }

    /**
     * The image service of {@code tenant}, keeping its images under {@code tenantDir} inside the
     * daemon's {@code dataDir} (which messages name paths relative to) and its blobs in a store of
     * its own (tests).
     */
    public ImageService(String tenant, ImageStore store, Hypervisor engine, Path dataDir, Path tenantDir, int maxConcurrentBuilds)
            throws IOException {
        this(tenant, store, engine, dataDir, tenantDir, new BlobStore(Files.createDirectories(tenantDir.resolve("blobs"))),
                null, null, maxConcurrentBuilds);
    }

    /**
     * The image service of {@code tenant}: images under {@code tenantDir}, blobs in the daemon's
     * shared {@code blobs}; {@code registry} and {@code dockerfile} resolve those sources (null:
     * such a version FAILS saying this Burrow cannot build it).
     */
    public ImageService(String tenant, ImageStore store, Hypervisor engine, Path dataDir, Path tenantDir, BlobStore blobs,
            SourceResolver registry, SourceResolver dockerfile, int maxConcurrentBuilds) throws IOException {
        this.store = new CachingImageStore(store);
        this.engine = engine;
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.tenantDir = tenantDir.toAbsolutePath().normalize();
        this.imagesDir = Files.createDirectories(this.tenantDir.resolve("images"));
        this.blobs = blobs;
        this.builder = new VersionBuilder(tenant, engine, blobs, this::emit, registry, dockerfile, this.store::versions);
        this.buildSlots = new Semaphore(maxConcurrentBuilds);
    }

    /**
     * Builds hold {@code lock} (shared) while they resolve and unpack their image, until its
     * image.json names the blobs: the collector sweeps blobs only while it holds the other side.
     */
    public void guardResolution(Lock lock) {
        builder.guardResolution(lock);
    }

    /** The blob store this service's versions keep their images in. */
    public BlobStore blobs() {
        return blobs;
    }

    /** Where this service keeps image {@code name}'s version directories. */
    public Path imageDir(String name) {
        return imagesDir.resolve(name);
    }

    public void onEvent(Consumer<ImageEvent> listener) {
        listeners.add(listener);
    }

    /** Creates an image and starts building version 1. Fails when the name exists (the API answers 409). */
    public ImageVersion create(String name, ImageSourceSpec source, BuildSettings settings) {
        checkName(name);
        ImageVersion v = newVersion(name, 1, source, settings.withDefaults());
        if (!store.createImage(v)) {
            throw new ImageExistsException(name);
        }
        return startBuild(v, source);
    }

    /** Adds a version to an existing image, inheriting every setting not given from the newest version. */
    public ImageVersion addVersion(String name, ImageSourceSpec source, BuildSettings settings) {
        return addVersion(name, source, settings, true);
    }

    /**
     * Adds a version whose settings are exactly {@code settings} over the defaults, nothing
     * inherited: a request that states the whole version (the AWS door's UpdateMicrovmImage, a PUT).
     */
    public ImageVersion addVersionAsGiven(String name, ImageSourceSpec source, BuildSettings settings) {
        return addVersion(name, source, settings, false);
    }

    private synchronized ImageVersion addVersion(String name, ImageSourceSpec source, BuildSettings settings, boolean inherit) {
        List<ImageVersion> vs = store.versions(name);
        if (vs.isEmpty()) {
            throw new NoSuchElementException("no image named " + name);
        }
        ImageVersion previous = vs.getLast();
        BuildSettings effective = inherit ? settings.over(previous.settings()) : settings.withDefaults();
        ImageVersion v = newVersion(name, previous.version() + 1, source, effective);
        store.addVersion(v);
        return startBuild(v, source);
    }

    /** ACTIVE versions run; INACTIVE ones stay but are not picked by a run without a version. */
    public synchronized ImageVersion setActive(String name, int version, boolean active) {
        ImageVersion v = store.version(name, version).orElseThrow(() -> new NoSuchElementException("no version " + name + ":" + version));
        ImageVersion next = new ImageVersion(v.image(), v.version(), v.state(), v.stateReason(), active, v.settings(), v.source(),
                v.createdAt(), Instant.now(), v.entrypoint(), v.phasesMillis(), v.templateDir(), v.buildLog());
        store.update(next);
        emit(new ImageEvent(Instant.now(), "version-status", v.ref(), v.active() ? "ACTIVE" : "INACTIVE", active ? "ACTIVE" : "INACTIVE", null));
        return next;
    }

    /**
     * Changes how many standbys a version asks for (the one setting a version may change after
     * its build: it shapes no template, only what the daemon keeps ahead of runs).
     */
    public synchronized ImageVersion setStandby(String name, int version, int standby) {
        ImageVersion v = store.version(name, version).orElseThrow(() -> new NoSuchElementException("no version " + name + ":" + version));
        ImageVersion next = new ImageVersion(v.image(), v.version(), v.state(), v.stateReason(), v.active(), v.settings().withStandby(standby),
                v.source(), v.createdAt(), Instant.now(), v.entrypoint(), v.phasesMillis(), v.templateDir(), v.buildLog());
        store.update(next);
        emit(new ImageEvent(Instant.now(), "version-standby", v.ref(), Integer.toString(v.settings().standbyCount()),
                Integer.toString(standby), null));
        return next;
    }

    /** Deletes an image, its versions and their files. Building versions must finish first (409). */
    public synchronized void delete(String name) {
        List<ImageVersion> vs = store.versions(name);
        if (vs.isEmpty()) {
            throw new NoSuchElementException("no image named " + name);
        }
        vs.forEach(ImageService::refuseWhileBuilding);
        vs.forEach(this::dropWarm);
        store.deleteImage(name);
        vs.forEach(v -> removeVersionFiles(v.buildLog().getParent()));
        try {
            Files.deleteIfExists(imagesDir.resolve(name));
        } catch (IOException e) {
            // a version directory stays for a template another image's version runs from; the collector takes it later
        }
        emit(new ImageEvent(Instant.now(), "image-deleted", name, null, null, null));
    }

    /** Deletes one version and its files (its number is never reused). */
    public synchronized void deleteVersion(String name, int version) {
        ImageVersion v = store.version(name, version).orElseThrow(() -> new NoSuchElementException("no version " + name + ":" + version));
        refuseWhileBuilding(v);
        Path t = v.templateDir();
        boolean shared = t != null && store.versions(name).stream().anyMatch(o -> o.version() != version && t.equals(o.templateDir()));
        if (!shared) {
            dropWarm(v);
        }
        store.deleteVersion(name, version);
        removeVersionFiles(imagesDir.resolve(name).resolve(Integer.toString(version)));
        if (!shared && t != null) {
            // the last user of a template made by a version deleted before: that version's directory goes now
            Path owner = t.getParent();
            if (owner.getParent().equals(imagesDir.resolve(name)) && store.version(name, versionNumber(owner)).isEmpty()) {
                removeVersionFiles(owner);
            }
        }
        emit(new ImageEvent(Instant.now(), "version-deleted", v.ref(), v.state().name(), null, null));
    }

    /**
     * A deleted version's files go with its row, unless another version still runs from its
     * template (an unchanged rebuild reuses it; the template's files include the disk beside it):
     * that directory stays whole until the template's last user is deleted, which takes it along.
     */
    private void removeVersionFiles(Path versionDir) {
        Path template = versionDir.resolve("template").toAbsolutePath().normalize();
        boolean shared = store.images().stream().flatMap(n -> store.versions(n).stream())
                .anyMatch(v -> v.templateDir() != null && v.templateDir().toAbsolutePath().normalize().equals(template));
        if (!shared) {
            FileTrees.deleteQuietly(versionDir);
        }
    }

    private static int versionNumber(Path versionDir) {
        String n = versionDir.getFileName().toString();
        return n.matches("[0-9]{1,9}") ? Integer.parseInt(n) : -1;
    }

    /** Warm VMMs keep a version's template files open: they end before the files go (a re-created image then runs at once). */
    private void dropWarm(ImageVersion v) {
        if (v.state() == VersionState.READY && v.templateDir() != null && Files.exists(v.templateDir().resolve("template.json"))) {
            try {
                engine.dropWarm(Template.load(v.templateDir()));
            } catch (IOException e) {
                // no readable template, nothing warm for it
            }
        }
    }

    private static void refuseWhileBuilding(ImageVersion v) {
        if (!v.state().terminal()) {
            throw new dev.burrow.daemon.microvms.ConflictException(v.ref() + " is " + v.state() + "; delete it once its build has ended");
        }
    }

    public List<String> imageNames() {
        return store.images();
    }

    public boolean isPublic(String name) {
        return store.isPublic(name);
    }

    /** Makes an image runnable by every tenant, or only by its own; an event says who changed it. */
    public boolean setPublic(String name, boolean isPublic) {
        boolean was = store.isPublic(name);
        if (!store.setPublic(name, isPublic)) {
            return false;
        }
        if (was != isPublic) {
            emit(new ImageEvent(Instant.now(), "image-public", name, Boolean.toString(was), Boolean.toString(isPublic), null));
        }
        return true;
    }

    public Optional<ImageVersion> version(String name, int version) {
        return store.version(name, version);
    }

    public List<ImageVersion> versions(String name) {
        return store.versions(name);
    }

    /** The newest READY and ACTIVE version: what a run without a version uses. */
    public Optional<ImageVersion> newestRunnable(String name) {
        return store.versions(name).reversed().stream().filter(v -> v.state() == VersionState.READY && v.active()).findFirst();
    }

    /**
     * The template a READY version runs from. Its manifest is parsed once and kept while the file
     * keeps its modification time and size (one stat per call instead of a read and a parse): a
     * version's template does not change, and a rewritten manifest is read again.
     */
    public Template template(ImageVersion v) throws IOException {
        if (v.state() != VersionState.READY) {
            throw new IllegalStateException(v.ref() + " is " + v.state() + ", not READY");
        }
        Path dir = v.templateDir();
        BasicFileAttributes now = Files.readAttributes(dir.resolve(Template.MANIFEST), BasicFileAttributes.class);
        LoadedTemplate kept = templates.get(dir);
        if (kept != null && kept.modified().equals(now.lastModifiedTime()) && kept.size() == now.size()) {
            return kept.template();
        }
        Template t = Template.load(dir);
        if (templates.size() >= MAX_TEMPLATES) {
            templates.clear();
        }
        templates.put(dir, new LoadedTemplate(t, now.lastModifiedTime(), now.size()));
        return t;
    }

    /** Waits until the version is READY or FAILED, or the timeout passes; returns what it is then. */
    public ImageVersion await(String name, int version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ImageVersion v = store.version(name, version).orElseThrow();
            if (v.state().terminal() || System.nanoTime() > deadline) {
                return v;
            }
            synchronized (this) {
                wait(50);
            }
        }
    }

    private ImageVersion newVersion(String name, int number, ImageSourceSpec source, BuildSettings settings) {
        Instant now = Instant.now();
        Path dir = imagesDir.resolve(name).resolve(Integer.toString(number));
        return new ImageVersion(name, number, VersionState.PENDING, null, true, settings, describe(source), now, now,
                EntrypointStatus.NONE, Map.of(), null, dir.resolve("build.log"));
    }

    private ImageVersion startBuild(ImageVersion v, ImageSourceSpec source) {
        emit(new ImageEvent(Instant.now(), "version-state", v.ref(), null, VersionState.PENDING.name(), null));
        executor.submit(() -> runBuild(v, source));
        return v;
    }

    /** The source as a tenant sees it: {@code path:uploads/<id>} under the data directory, else the file's name. */
    private String describe(ImageSourceSpec source) {
        return switch (source) {
            case ImageSourceSpec.HostPath p -> "path:" + hostPaths(p, null).scrub(p.path().toAbsolutePath().normalize().toString())
                    + (p.format() == null ? "" : " (" + p.format() + ")");
            case ImageSourceSpec.Registry r -> "registry:" + r.ref() + (r.platform() == null ? "" : " (" + r.platform() + ")");
            case ImageSourceSpec.Dockerfile d -> "dockerfile:" + hostPaths(d, null).scrub(d.context().toAbsolutePath().normalize().toString())
                    + (d.target() == null ? "" : " (target " + d.target() + ")");
        };
    }

    private HostPaths hostPaths(ImageSourceSpec source, Path versionDir) {
        HostPaths h = new HostPaths();
        if (versionDir != null) {
            h.add(versionDir.resolve("staging"), "/");
        }
        h.add(tenantDir, "");
        h.add(dataDir, "");
        if (source instanceof ImageSourceSpec.HostPath p) {
            Path abs = p.path().toAbsolutePath().normalize();
            if (!abs.startsWith(dataDir) && abs.getParent() != null) {
                h.add(abs.getParent(), ""); // an admin's path outside the data directory: its file name only
            }
        }
        return h;
    }

    private void runBuild(ImageVersion pending, ImageSourceSpec source) {
        Path dir = pending.buildLog().getParent();
        HostPaths paths = hostPaths(source, dir);
        try (BuildLogFile log = new BuildLogFile(pending.buildLog())) {
            log.info("queued: " + pending.ref() + " from " + pending.source());
            buildSlots.acquire();
            try {
                ImageVersion building = transition(pending, VersionState.BUILDING, null);
                log.info("build started");
                try {
                    VersionBuilder.Result r = builder.build(building, source, dir, log);
                    ImageVersion built = building.withBuild(r.effective(), r.entrypoint(), r.phases(), r.template().dir());
                    store.update(built);
                    transition(built, VersionState.READY, null);
                    log.info("READY " + r.phases());
                } catch (VersionBuilder.BuildFailure e) {
                    String reason = paths.scrub(e.getMessage());
                    log.warn("FAILED: " + reason);
                    transition(store.version(building.image(), building.version()).orElseThrow(), VersionState.FAILED, reason);
                } catch (RuntimeException e) {
                    LOG.error("build of {} crashed", pending.ref(), e);
                    String reason = paths.scrub("internal error while building: " + e);
                    log.warn("FAILED: " + reason);
                    transition(building, VersionState.FAILED, reason);
                }
            } finally {
                buildSlots.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            transition(store.version(pending.image(), pending.version()).orElseThrow(), VersionState.FAILED, "the build was interrupted");
        } catch (IOException e) {
            transition(pending, VersionState.FAILED, paths.scrub("cannot write the build log: " + e.getMessage()));
        }
    }

    private ImageVersion transition(ImageVersion v, VersionState to, String reason) {
        ImageVersion next = v.with(to, reason == null ? null : truncate(reason));
        store.update(next);
        emit(new ImageEvent(Instant.now(), "version-state", v.ref(), v.state().name(), to.name(), next.stateReason()));
        synchronized (this) {
            notifyAll();
        }
        return next;
    }

    private static String truncate(String reason) {
        return reason.length() <= HookCaller.MAX_BODY + 1024 ? reason : reason.substring(0, HookCaller.MAX_BODY + 1024) + "…";
    }

    private void emit(ImageEvent e) {
        LOG.info("{} {} {} -> {}{}", e.kind(), e.ref(), e.from(), e.to(), e.reason() == null ? "" : " (" + e.reason() + ")");
        listeners.forEach(l -> l.accept(e));
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidRequestException("name", "name must match [a-z0-9][a-z0-9._-]{0,62}; got '" + name + "'");
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    /**
     * Rewrites host paths in a message: each known directory (absolute and real form) is replaced,
     * longest first, so {@code <staging>/etc/x} reads {@code /etc/x} (image-relative) and
     * {@code <dataDir>/uploads/u1} reads {@code uploads/u1} (data-dir-relative).
     */
    static final class HostPaths {
        private final Map<String, String> prefixes = new LinkedHashMap<>();

        void add(Path dir, String replacement) {
            Path abs = dir.toAbsolutePath().normalize();
            prefixes.putIfAbsent(abs.toString(), replacement);
            try {
                prefixes.putIfAbsent(abs.toRealPath().toString(), replacement);
            } catch (IOException e) {
                // not there (yet): its absolute form is enough
            }
        }

        String scrub(String message) {
            if (message == null) {
                return null;
            }
            List<Map.Entry<String, String>> byLength = new ArrayList<>(prefixes.entrySet());
            byLength.sort(Comparator.comparingInt((Map.Entry<String, String> e) -> e.getKey().length()).reversed());
            String out = message;
            for (Map.Entry<String, String> p : byLength) {
                if (p.getKey().length() > 1) {
                    out = out.replace(p.getKey() + "/", p.getValue()).replace(p.getKey(), p.getValue().isEmpty() ? "." : p.getValue());
                }
            }
            return out;
        }
    }
}
