package dev.burrow.vmm.kernel;

import dev.burrow.vmm.kernel.internal.DebianPackages;
import dev.burrow.vmm.kernel.internal.KernelStore;
import dev.burrow.vmm.kernel.internal.ModuleIndexer;
import dev.burrow.vmm.kernel.internal.ResolutionMemo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * The Debian guest kernel, kept in the host's shared cache as {@code <cacheDir>/kernels/<package>_<version>/}:
 * the files of the {@code linux-image-*} package (fetched with {@code apt-get download}, unpacked with
 * {@code dpkg-deb -x}; nothing is installed on the host) plus generated {@code modules.dep} and friends.
 *
 * <p>The package is the one {@code linux-image-amd64} depends on, unless {@code BURROW_KERNEL_PACKAGE} (or the
 * constructor) names another. A complete cached kernel of that package is reused without downloading, so an
 * offline start works; if apt fails and the cache holds any complete kernel, the newest is used. Daemons sharing
 * the cache serialise fetching through a lock on {@code kernels/.lock}.
 */
public final class KernelCache {
    /** Environment variable naming the kernel package to use instead of {@code linux-image-amd64}'s dependency. */
    public static final String PACKAGE_ENV = "BURROW_KERNEL_PACKAGE";
    /** Environment variable naming the shared cache directory. */
    public static final String CACHE_DIR_ENV = "BURROW_CACHE_DIR";
    public static final Path DEFAULT_CACHE_DIR = Path.of("/var/cache/burrow");

    private static final Logger log = LoggerFactory.getLogger(KernelCache.class);
    /** A file lock is held per JVM, not per thread: threads queue here first. */
    private static final ReentrantLock IN_PROCESS = new ReentrantLock();

    private final KernelStore store;
    private final String packageOverride;

    /** A cache in {@code cacheDir}, honouring {@value #PACKAGE_ENV}. */
    public KernelCache(Path cacheDir) {
        this(cacheDir, System.getenv(PACKAGE_ENV));
    }

    /** A cache in {@code cacheDir} using {@code packageName}, or {@code linux-image-amd64}'s dependency if null/blank. */
    public KernelCache(Path cacheDir, String packageName) {
        this.store = new KernelStore(cacheDir);
        this.packageOverride = packageName == null || packageName.isBlank() ? null : packageName.strip();
    }

    /** The cache directory from {@value #CACHE_DIR_ENV}, else {@code /var/cache/burrow}. */
    public static Path cacheDirFromEnvironment() {
        String dir = System.getenv(CACHE_DIR_ENV);
        return dir == null || dir.isBlank() ? DEFAULT_CACHE_DIR : Path.of(dir);
    }

    /** The guest kernel, fetched into the cache first if it is not there. */
    public GuestKernel ensure() throws KernelException {
        String packageName;
        if (packageOverride != null) {
            packageName = DebianPackages.checkPackageName(packageOverride);
        } else {
            try {
                packageName = new ResolutionMemo(store.root()).currentKernelPackage();
            } catch (KernelException e) {
                return fallback(e);
            }
        }
        Optional<GuestKernel> cached = store.newest(packageName);
        if (cached.isPresent()) {
            return cached.get();
        }
        IN_PROCESS.lock();
        try {
            Files.createDirectories(store.root());
            try (FileChannel channel = FileChannel.open(store.lockFile(), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
                 FileLock ignored = channel.lock()) {
                cached = store.newest(packageName);
                if (cached.isPresent()) {
                    return cached.get();
                }
                store.removeStaleTempDirs();
                try {
                    return fetch(packageName);
                } catch (KernelException e) {
                    return fallback(e);
                }
            }
        } catch (KernelException e) {
            throw e;
        } catch (IOException e) {
            throw new KernelException("Cannot use the kernel cache " + store.root() + ": " + e
                    + ". Check that it is writable (set " + CACHE_DIR_ENV + " to use another directory).", e);
        } finally {
            IN_PROCESS.unlock();
        }
    }

    private GuestKernel fallback(KernelException cause) throws KernelException {
        Optional<GuestKernel> any = store.newest(null);
        if (any.isEmpty()) {
            throw new KernelException("No guest kernel in " + store.root() + " and none could be fetched. "
                    + cause.getMessage(), cause);
        }
        log.warn("cannot fetch the current guest kernel; using the cached {} {}: {}",
                any.get().packageName(), any.get().packageVersion(), cause.getMessage());
        return any.get();
    }

    private GuestKernel fetch(String packageName) throws IOException {
        long started = System.nanoTime();
        log.info("fetching guest kernel package {} into {}", packageName, store.root());
        Path work = store.newTempDir();
        try {
            Path deb = DebianPackages.download(packageName, work);
            String actualName = DebianPackages.field(deb, "Package");
            String version = DebianPackages.field(deb, "Version");
            Path root = work.resolve("root");
            DebianPackages.extract(deb, root);
            Files.delete(deb);
            GuestKernel relative = layout(root, actualName, version);
            Path modulesDir = root.resolve(relative.modulesDir());
            if (!Files.exists(modulesDir.resolve("modules.dep"))) {
                ModuleIndexer.index(modulesDir);
            }
            KernelStore.writeMarker(root, relative);
            Path target = store.entry(actualName, version);
            KernelStore.deleteTree(target); // an incomplete leftover: complete ones were found before
            Files.move(root, target, StandardCopyOption.ATOMIC_MOVE);
            GuestKernel kernel = KernelStore.read(target).orElseThrow(() -> new KernelException(
                    "The kernel just extracted into " + target + " is incomplete; delete it and try again."));
            log.info("guest kernel {} {} ({}) ready in {} ms", actualName, version, kernel.release(),
                    (System.nanoTime() - started) / 1_000_000);
            return kernel;
        } finally {
            KernelStore.deleteTree(work);
        }
    }

    /** Finds {@code boot/vmlinuz-<release>} and {@code [usr/]lib/modules/<release>}, as paths relative to root. */
    private static GuestKernel layout(Path root, String packageName, String version) throws IOException {
        List<String> releases;
        Path boot = root.resolve("boot");
        try (Stream<Path> files = Files.isDirectory(boot) ? Files.list(boot) : Stream.empty()) {
            releases = files.map(f -> f.getFileName().toString())
                    .filter(n -> n.startsWith("vmlinuz-"))
                    .map(n -> n.substring("vmlinuz-".length()))
                    .sorted()
                    .toList();
        }
        if (releases.size() != 1) {
            throw new KernelException("Package " + packageName + " " + version + " holds " + releases.size()
                    + " boot/vmlinuz-* files instead of one; " + PACKAGE_ENV
                    + " must name a single linux-image-*-amd64 kernel package.");
        }
        String release = releases.getFirst();
        for (String dir : List.of("lib/modules/", "usr/lib/modules/")) {
            if (Files.isDirectory(root.resolve(dir + release))) {
                return new GuestKernel(Path.of("boot/vmlinuz-" + release), Path.of(dir + release), release,
                        packageName, version);
            }
        }
        throw new KernelException("Package " + packageName + " " + version + " has no lib/modules/" + release
                + " directory; " + PACKAGE_ENV + " must name a linux-image-*-amd64 kernel package.");
    }
}
