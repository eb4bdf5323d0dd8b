package dev.burrow.daemon.images.builtin;

import dev.burrow.oci.Descriptor;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.OciLayoutWriter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Debian image made by a {@link Recipe}: Debian minbase plus the recipe's packages, made with
 * debootstrap, trimmed, with a {@code burrow} user, written as a one-layer OCI layout and cached
 * by (recipe name, suite, recipe version, mirror). The demo image and the managed {@code python}
 * and {@code node} bases are recipes.
 */
final class DebianImage {
    private static final Logger log = LoggerFactory.getLogger(DebianImage.class);

    /**
     * What goes into one Debian image: {@code cachePrefix} names its cache entries,
     * {@code version} is part of the cache key (bump it when the recipe changes what the image
     * holds: cached layouts of older versions are not reused), {@code packages} are debootstrap's
     * {@code --include}, {@code config} the image's runtime config and {@code title} its
     * manifest's title annotation.
     */
    record Recipe(String cachePrefix, int version, List<String> packages, ImageConfig config, String title) {
        private static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+");

        Recipe {
            packages = List.copyOf(packages);
            for (String p : packages) {
                if (!PACKAGE.matcher(p).matches()) {
                    throw new IllegalArgumentException("not a Debian package name: '" + p + "'");
                }
            }
        }
    }

    static final Duration DEBOOTSTRAP_TIMEOUT = Duration.ofMinutes(30);
    static final String KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

    /** What the trim removes: contents only, the directories stay. */
    static final List<String> TRIMMED = List.of("var/lib/apt/lists", "var/cache/apt", "usr/share/doc", "usr/share/man");

    /** debootstrap's per-package chatter, logged at debug; its other lines are progress worth info. */
    private static final Pattern CHATTER = Pattern.compile("I: (Retrieving|Validating|Extracting|Unpacking|Configuring) \\S+( \\S+)? *");
    private static final int TAIL_LINES = 40;

    private DebianImage() {
    }

    /** The cache entry's directory name: the recipe's prefix, suite, recipe version and a short hash of the mirror. */
    static String cacheName(Recipe recipe, DebianSource src) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(src.mirror().getBytes(StandardCharsets.UTF_8));
            return recipe.cachePrefix() + "-" + src.suite() + "-r" + recipe.version() + "-" + HexFormat.of().formatHex(h, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean isLayout(Path dir) {
        return Files.isRegularFile(dir.resolve("index.json"), LinkOption.NOFOLLOW_LINKS)
                && Files.isRegularFile(dir.resolve("oci-layout"), LinkOption.NOFOLLOW_LINKS);
    }

    static Path build(Path cacheDir, Path workDir, DebianSource src, Recipe recipe) throws IOException {
        String name = cacheName(recipe, src);
        Path target = cacheDir.resolve(name);
        if (isLayout(target)) {
            log.info("{} image for {} from {} is cached at {}", recipe.cachePrefix(), src.suite(), src.mirror(), target);
            return target;
        }
        requireRoot();
        Path debootstrap = findDebootstrap();
        if (!Files.isRegularFile(Path.of(KEYRING))) {
            throw new IOException("Debian's archive keyring " + KEYRING
                    + " is missing, so debootstrap could not verify what it downloads: apt-get install debian-archive-keyring");
        }
        Files.createDirectories(cacheDir);
        Files.createDirectories(workDir);
        long t0 = System.nanoTime();
        Path run = Files.createTempDirectory(workDir, name + "-");
        try {
            Path rootfs = run.resolve("rootfs");
            Files.createDirectory(rootfs);
            Files.setPosixFilePermissions(rootfs, PosixFilePermissions.fromString("rwxr-xr-x"));
            log.info("building {} ({} from {}, recipe {}) in {}", recipe.cachePrefix(), src.suite(), src.mirror(),
                    recipe.version(), rootfs);
            long d0 = System.nanoTime();
            try {
                runDebootstrap(debootstrap, src, recipe.packages(), rootfs);
            } finally {
                RootTrees.unmountAllUnder(rootfs);
            }
            Duration debootstrapTime = Duration.ofNanos(System.nanoTime() - d0);
            log.info("debootstrap of {} minbase + {} took {} s ({} bytes in the tree)", src.suite(), recipe.packages(),
                    seconds(debootstrapTime), RootTrees.size(rootfs));
            customize(rootfs);
            long l0 = System.nanoTime();
            Path layout = Files.createTempDirectory(cacheDir, "." + name + ".tmp-");
            try {
                Files.setPosixFilePermissions(layout, PosixFilePermissions.fromString("rwxr-xr-x"));
                Descriptor manifest = new OciLayoutWriter(recipe.config())
                        .manifestAnnotations(Map.of(
                                "org.opencontainers.image.title", recipe.title(),
                                "dev.burrow.recipe", recipe.cachePrefix() + "/" + recipe.version(),
                                "dev.burrow.debian.suite", src.suite(),
                                "dev.burrow.debian.mirror", src.mirror()))
                        .addLayer(rootfs)
                        .writeLayout(layout);
                long size = RootTrees.size(layout);
                log.info("wrote the {} layout {} ({} bytes, {} MiB) in {} s", recipe.cachePrefix(), manifest.digest(), size,
                        size / (1024 * 1024), seconds(Duration.ofNanos(System.nanoTime() - l0)));
                publish(layout, target);
            } finally {
                RootTrees.deleteRecursively(layout);
            }
            log.info("{} image ready at {} after {} s", recipe.cachePrefix(), target, seconds(Duration.ofNanos(System.nanoTime() - t0)));
            return target;
        } finally {
            try {
                RootTrees.unmountAllUnder(run);
                RootTrees.deleteRecursively(run);
            } catch (IOException e) {
                log.warn("could not clean up {}: {}", run, e.toString());
            }
        }
    }

    /** Renames the finished layout into the cache; another builder's finished layout wins. */
    private static void publish(Path layout, Path target) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !isLayout(target)) {
            log.warn("replacing incomplete cache entry {}", target);
            RootTrees.deleteRecursively(target);
        }
        try {
            Files.move(layout, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            if (!isLayout(target)) {
                throw e;
            }
            log.info("another build published {} first; keeping it", target);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the cache directory and its temporary directory are on different file systems", e);
        }
    }

    private static String seconds(Duration d) {
        return String.format("%.1f", d.toMillis() / 1000.0);
    }

    static void requireRoot() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
            if (line.startsWith("Uid:")) {
                String[] f = line.substring(4).strip().split("\\s+");
                if (f.length >= 2 && !f[1].equals("0")) {
                    throw new IOException("building the Debian image needs root (debootstrap creates root-owned"
                            + " files and chroots); effective uid is " + f[1]);
                }
                return;
            }
        }
    }

    static Path findDebootstrap() throws IOException {
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                if (!d.isEmpty()) {
                    candidates.add(Path.of(d, "debootstrap"));
                }
            }
        }
        candidates.add(Path.of("/usr/sbin/debootstrap"));
        candidates.add(Path.of("/sbin/debootstrap"));
        for (Path c : candidates) {
            if (Files.isRegularFile(c) && Files.isExecutable(c)) {
                return c;
            }
        }
        throw new IOException("debootstrap is not installed; Burrow builds its Debian images with it:"
                + " apt-get install debootstrap");
    }

    private static void runDebootstrap(Path debootstrap, DebianSource src, List<String> packages, Path rootfs) throws IOException {
        List<String> command = new ArrayList<>(List.of(debootstrap.toString(), "--variant=minbase"));
        if (!packages.isEmpty()) {
            command.add("--include=" + String.join(",", packages));
        }
        command.addAll(List.of("--keyring=" + KEYRING, src.suite(), rootfs.toString(), src.mirror()));
        log.info("running {}", String.join(" ", command));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        Process p = pb.start();
        ArrayDeque<String> tail = new ArrayDeque<>();
        Thread pump = Thread.ofVirtual().name("debootstrap-output").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (CHATTER.matcher(line).matches()) {
                        log.debug("debootstrap: {}", line);
                    } else if (line.startsWith("W: ") || line.startsWith("E: ")) {
                        log.warn("debootstrap: {}", line);
                    } else {
                        log.info("debootstrap: {}", line);
                    }
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > TAIL_LINES) {
                            tail.removeFirst();
                        }
                    }
                }
            } catch (IOException e) {
                log.debug("reading debootstrap output: {}", e.toString());
            }
        });
        try {
            if (!p.waitFor(DEBOOTSTRAP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
                throw new IOException("debootstrap did not finish within " + DEBOOTSTRAP_TIMEOUT.toMinutes() + " minutes");
            }
            pump.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running debootstrap", e);
        }
        if (p.exitValue() != 0) {
            String lines;
            synchronized (tail) {
                lines = String.join("\n", tail);
            }
            throw new IOException("debootstrap " + src.suite() + " from " + src.mirror() + " failed (exit " + p.exitValue()
                    + "); its last lines:\n" + lines);
        }
    }

    /** Trims the tree, sets host identity files and adds the {@code burrow} user. */
    static void customize(Path rootfs) throws IOException {
        long freed = 0;
        for (String rel : TRIMMED) {
            freed += RootTrees.deleteContents(rootfs, rel);
        }
        log.info("trimmed {} bytes ({})", freed, String.join(", ", TRIMMED.stream().map(t -> "/" + t + "/*").toList()));
        removeDeviceNodes(rootfs);

        Path etc = RootTrees.directoryInside(rootfs, "etc");
        if (etc == null) {
            throw new IOException("debootstrap produced no /etc in " + rootfs);
        }
        writeFile(etc.resolve("hostname"), BuiltinImages.HOSTNAME + "\n", true);
        // debootstrap copies the host's resolv.conf: the image must not carry the builder's name servers
        writeFile(etc.resolve("resolv.conf"), "", true);
        writeFile(etc.resolve("hosts"), BusyboxImage.HOSTS, false);
        writeFile(etc.resolve("machine-id"), "", false);
        addUser(rootfs, etc);
    }

    /**
     * Deletes the device nodes debootstrap made in {@code /dev}: the guest's devtmpfs provides
     * them, and the unpacker would skip them with a warning each. Symlinks and directories stay.
     */
    private static void removeDeviceNodes(Path rootfs) throws IOException {
        Path dev = RootTrees.directoryInside(rootfs, "dev");
        if (dev == null) {
            return;
        }
        if (!RootTrees.mountsUnder(dev).isEmpty()) {
            throw new IOException("something is mounted below " + dev + "; not touching it");
        }
        List<Path> nodes = new ArrayList<>();
        Files.walkFileTree(dev, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isOther()) {
                    int type = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000;
                    if (type == 0020000 || type == 0060000) {
                        nodes.add(file);
                    }
                }
                return FileVisitResult.CONTINUE;
            }
        });
        for (Path n : nodes) {
            Files.delete(n);
        }
        log.debug("removed {} device nodes from /dev", nodes.size());
    }

    /** Writes a file in place of whatever is there (a symlink is replaced, never followed). */
    private static void writeFile(Path file, String content, boolean replace) throws IOException {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            if (!replace && !Files.isSymbolicLink(file)) {
                return;
            }
            if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(file + " is a directory");
            }
            Files.delete(file);
        }
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** Appends to a file that must exist and be a regular file, keeping its mode and owner. */
    private static void append(Path file, String line) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(file + " is missing or not a regular file");
        }
        String existing = Files.readString(file, StandardCharsets.UTF_8);
        String prefix = existing.isEmpty() || existing.endsWith("\n") ? "" : "\n";
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.APPEND, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            out.write((prefix + line + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Adds {@code burrow} (uid and gid 1000) to passwd, group, shadow and gshadow, with a home from /etc/skel. */
    static void addUser(Path rootfs, Path etc) throws IOException {
        String passwd = Files.readString(etc.resolve("passwd"), StandardCharsets.UTF_8);
        for (String line : passwd.split("\n")) {
            String[] f = line.split(":", -1);
            if (f[0].equals(BuiltinImages.USER)) {
                log.info("the tree already has a {} user; leaving it", BuiltinImages.USER);
                return;
            }
            if (f.length > 2 && f[2].equals(String.valueOf(BuiltinImages.USER_ID))) {
                throw new IOException("uid " + BuiltinImages.USER_ID + " is taken by '" + f[0] + "' in " + etc.resolve("passwd"));
            }
        }
        String shell = Files.isRegularFile(rootfs.resolve("bin/bash"), LinkOption.NOFOLLOW_LINKS)
                || Files.isRegularFile(rootfs.resolve("usr/bin/bash"), LinkOption.NOFOLLOW_LINKS) ? "/bin/bash" : "/bin/sh";
        String u = BuiltinImages.USER;
        int id = BuiltinImages.USER_ID;
        append(etc.resolve("passwd"), u + ":x:" + id + ":" + id + ":" + u + ":/home/" + u + ":" + shell);
        append(etc.resolve("group"), u + ":x:" + id + ":");
        append(etc.resolve("shadow"), u + ":!::0:99999:7:::");
        if (Files.exists(etc.resolve("gshadow"), LinkOption.NOFOLLOW_LINKS)) {
            append(etc.resolve("gshadow"), u + ":!::");
        }
        Path homeDir = RootTrees.directoryInside(rootfs, "home");
        if (homeDir == null) {
            throw new IOException("the tree has no /home directory");
        }
        Path home = homeDir.resolve(u);
        Files.createDirectory(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        chown(home, id);
        Path skel = RootTrees.directoryInside(rootfs, "etc/skel");
        if (skel != null) {
            List<Path> files;
            try (Stream<Path> s = Files.list(skel)) {
                files = s.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
            }
            for (Path f : files) {
                Path copy = home.resolve(f.getFileName().toString());
                Files.copy(f, copy, LinkOption.NOFOLLOW_LINKS);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                chown(copy, id);
            }
        }
    }

    private static void chown(Path p, int id) throws IOException {
        Files.setAttribute(p, "unix:uid", id, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", id, LinkOption.NOFOLLOW_LINKS);
    }
}
