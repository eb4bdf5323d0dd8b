package dev.burrow.daemon.images.builtin;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.ImageSource;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The managed base images (SPEC §8, docs/bases.md): {@code minimal} (busybox), {@code python}
 * (Debian minbase + python3) and {@code node} (Debian minbase + nodejs), each written as an OCI
 * layout in the cache directory when first asked for and kept there, keyed by recipe version
 * (and, for the Debian ones, by suite and mirror; for {@code minimal}, by the busybox binary).
 *
 * <p>{@link #layout(String)} is what a Dockerfile {@code FROM python} ends up reading, so it works
 * without the daemon having built a version of the base. Concurrent callers in one process build a
 * base once; another process building the same entry at the same time is harmless, since a layout
 * is renamed into place complete and the first one there is kept.
 */
public final class ManagedBases {
    /** The setting naming the bases the development daemon publishes ({@code none} = no base). */
    public static final String SETTING = "BURROW_MANAGED_BASES";
    /** The value that selects no base. */
    public static final String NONE = "none";
    /** Prefix of every cache entry of a managed base. */
    static final String CACHE_PREFIX = "base-";

    private static final List<ManagedBase> FAMILY = List.of(
            new ManagedBase("minimal", "BusyBox (static) on an empty root: sh and the usual tools, nothing else", 1,
                    ManagedBase.Kind.BUSYBOX, List.of(), config("minimal", "/bin/sh")),
            new ManagedBase("python", "Debian minbase with python3 from Debian", 1,
                    ManagedBase.Kind.DEBIAN, List.of("python3"), config("python", "python3")),
            new ManagedBase("node", "Debian minbase with Node.js (nodejs) from Debian", 1,
                    ManagedBase.Kind.DEBIAN, List.of("nodejs"), config("node", "node")));

    /** Makes one base's layout at {@code target} (absent or incomplete) and returns where it is. */
    interface LayoutMaker {
        Path make(ManagedBase base, Path target) throws IOException;
    }

    /** Finds the Debian suite and mirror; asked only when a Debian base is needed. */
    interface SourceFinder {
        DebianSource find() throws IOException;
    }

    private final Path cacheDir;
    private final Path workDir;
    private final SourceFinder source;
    private final Path busybox;
    /** Null: the real recipes. */
    private final LayoutMaker maker;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    /**
     * Bases cached in {@code cacheDir}, built in temporary directories below {@code workDir}; the
     * Debian ones from the host's suite and mirror ({@link DebianSource#host()}), {@code minimal}
     * from the host's static busybox ({@link BuiltinImages#HOST_BUSYBOX}).
     */
    public ManagedBases(Path cacheDir, Path workDir) {
        this(cacheDir, workDir, DebianSource::host, BuiltinImages.HOST_BUSYBOX, null);
    }

    /** As {@link #ManagedBases(Path, Path)} with the Debian ones from {@code source}. */
    public ManagedBases(Path cacheDir, Path workDir, DebianSource source) {
        this(cacheDir, workDir, () -> source, BuiltinImages.HOST_BUSYBOX, null);
    }

    ManagedBases(Path cacheDir, Path workDir, SourceFinder source, Path busybox, LayoutMaker maker) {
        this.cacheDir = cacheDir.toAbsolutePath().normalize();
        this.workDir = workDir.toAbsolutePath().normalize();
        this.source = source;
        this.busybox = busybox;
        this.maker = maker;
    }

    /** Every managed base, in a fixed order. */
    public List<ManagedBase> all() {
        return FAMILY;
    }

    /** The managed base called {@code name} (exactly, lower case), if there is one. */
    public Optional<ManagedBase> find(String name) {
        return FAMILY.stream().filter(b -> b.name().equals(name)).findFirst();
    }

    /** As {@link #find(String)}, without an instance: the family is fixed. */
    public static Optional<ManagedBase> named(String name) {
        return FAMILY.stream().filter(b -> b.name().equals(name)).findFirst();
    }

    /**
     * The bases a setting value selects: a comma-separated list of names, or {@link #NONE}.
     * Blank means the default, every base. Names repeat at most once in the answer.
     *
     * @throws IllegalArgumentException on an unknown name (the message lists the known ones)
     */
    public static List<ManagedBase> select(String setting) {
        if (setting == null || setting.isBlank()) {
            return FAMILY;
        }
        String value = setting.strip().toLowerCase(Locale.ROOT);
        if (value.equals(NONE)) {
            return List.of();
        }
        LinkedHashSet<ManagedBase> out = new LinkedHashSet<>();
        for (String part : value.split(",")) {
            String name = part.strip();
            out.add(named(name).orElseThrow(() -> new IllegalArgumentException(SETTING + ": unknown managed base '" + name
                    + "'; known: " + String.join(", ", FAMILY.stream().map(ManagedBase::name).toList()) + ", or " + NONE)));
        }
        return List.copyOf(out);
    }

    /**
     * The OCI layout of the base {@code name}, built when it is not in the cache yet (the Debian
     * ones need root, debootstrap and the mirror; building takes a minute or more).
     *
     * @throws IllegalArgumentException when there is no managed base of that name
     */
    public Path layout(String name) throws IOException {
        ManagedBase base = find(name).orElseThrow(() -> new IllegalArgumentException("no managed base '" + name + "'"));
        ReentrantLock lock = locks.computeIfAbsent(base.name(), n -> new ReentrantLock());
        lock.lock();
        try {
            Path target = cachePath(base);
            if (DebianImage.isLayout(target)) {
                return target;
            }
            return maker != null ? maker.make(base, target) : make(base, target);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The base {@code name} as an image in {@code store}: its layout (built when missing), its
     * config and layer copied in (verified against their digests, skipped when there), and the
     * descriptor of a manifest listing them, which {@code ImageSource.fromStore} opens. Empty when
     * there is no such base. This is what a Dockerfile's {@code FROM <base>} builds on.
     */
    public Optional<Descriptor> manifest(String name, BlobStore store) throws IOException {
        if (find(name).isEmpty()) {
            return Optional.empty();
        }
        ImageSource source = ImageSource.open(layout(name), store);
        return Optional.of(source.storeAsManifest(store, source.resolve()));
    }

    /** How many callers wait for another one's build of {@code name} (tests). */
    int waiting(String name) {
        ReentrantLock lock = locks.get(name);
        return lock == null ? 0 : lock.getQueueLength();
    }

    /** Where {@code base}'s layout is cached. */
    Path cachePath(ManagedBase base) throws IOException {
        return cacheDir.resolve(switch (base.kind()) {
            case BUSYBOX -> CACHE_PREFIX + base.name() + "-r" + base.recipeVersion() + "-" + shortHash(busybox);
            case DEBIAN -> DebianImage.cacheName(recipe(base), source.find());
        });
    }

    private Path make(ManagedBase base, Path target) throws IOException {
        if (base.kind() == ManagedBase.Kind.DEBIAN) {
            return DebianImage.build(cacheDir, workDir, source.find(), recipe(base));
        }
        try {
            return BuiltinImages.busybox(target, busybox, base.config(), annotations(base));
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            if (DebianImage.isLayout(target)) {
                return target; // another process published it first: the same bytes
            }
            throw e;
        }
    }

    static DebianImage.Recipe recipe(ManagedBase base) {
        return new DebianImage.Recipe(CACHE_PREFIX + base.name(), base.recipeVersion(), base.debianPackages(), base.config(),
                "burrow managed base " + base.name());
    }

    static Map<String, String> annotations(ManagedBase base) {
        return Map.of("org.opencontainers.image.title", "burrow managed base " + base.name(),
                "dev.burrow.recipe", CACHE_PREFIX + base.name() + "/" + base.recipeVersion());
    }

    private static ImageConfig config(String name, String cmd) {
        return ImageConfig.builder()
                .cmd(cmd)
                .workingDir("/")
                .env("PATH", BuiltinImages.PATH)
                .env("LANG", "C.UTF-8")
                .label("dev.burrow.managed-base", name)
                .build();
    }

    /** The first 8 hex digits of a file's SHA-256 (the busybox binary: a new one is a new minimal base). */
    private static String shortHash(Path file) throws IOException {
        BusyboxImage.checkStatic(file);
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS),
                MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest(), 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
