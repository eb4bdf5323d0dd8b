package dev.burrow.daemon.images.builtin;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.ImageSource;
import dev.burrow.oci.ImageUnpacker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Helpers shared by the built-in image tests. */
final class BuiltinTestSupport {
    private BuiltinTestSupport() {
    }

    /** Slow tests run with {@code -Dgroups=slow} or {@code BURROW_SLOW_TESTS=1}. */
    static boolean slowTestsEnabled() {
        return "1".equals(System.getenv("BURROW_SLOW_TESTS"))
                || System.getProperty("groups", "").matches("(.*[,\\s])?slow([,\\s].*)?");
    }

    static boolean runningAsRoot() throws IOException {
        return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    }

    static ImageUnpacker.Result unpack(Path layout, Path work, Path staging, List<String> warnings) throws IOException {
        Files.createDirectories(staging);
        ImageSource src = ImageSource.open(layout, new BlobStore(work.resolve("store")));
        return new ImageUnpacker().unpack(src, staging, warnings::add);
    }

    static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    static int uid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    static int gid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    }

    /** Runs a command (in a chroot when {@code root} is not null) and returns its output; fails on a non-zero exit. */
    static String run(Path root, String... command) throws Exception {
        List<String> argv = new java.util.ArrayList<>();
        if (root != null) {
            argv.add("chroot");
            argv.add(root.toString());
        }
        argv.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().put("PATH", dev.burrow.daemon.images.builtin.BuiltinImages.PATH);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(argv + " timed out");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(argv + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }
}
