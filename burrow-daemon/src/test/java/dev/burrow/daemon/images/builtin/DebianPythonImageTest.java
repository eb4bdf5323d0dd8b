package dev.burrow.daemon.images.builtin;

import static dev.burrow.daemon.images.builtin.BuiltinTestSupport.mode;
import static dev.burrow.daemon.images.builtin.BuiltinTestSupport.uid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.oci.ImageUnpacker;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds the Debian demo image with debootstrap (root, network to a Debian mirror, ~1 minute).
 * Runs only with {@code -Dgroups=slow} or {@code BURROW_SLOW_TESTS=1}.
 */
@Tag("slow")
@EnabledIf("dev.burrow.daemon.images.builtin.BuiltinTestSupport#slowTestsEnabled")
class DebianPythonImageTest {
    @TempDir
    Path tmp;

    @Test
    void buildsCachesAndUnpacks() throws Exception {
        DebianSource source = DebianSource.host();
        Path cache = tmp.resolve("cache");
        long t0 = System.nanoTime();
        Path layout = BuiltinImages.debianPython(cache, tmp.resolve("work"), source);
        long buildMs = (System.nanoTime() - t0) / 1_000_000;
        long layoutBytes;
        try (Stream<Path> s = Files.walk(layout)) {
            layoutBytes = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        System.out.printf("debian-python %s from %s: built in %d ms, layout %d bytes (%.1f MiB)%n", source.suite(),
                source.mirror(), buildMs, layoutBytes, layoutBytes / 1048576.0);

        assertThat(layout).isEqualTo(BuiltinImages.debianPythonCachePath(cache, source));
        assertThat(layout.getFileName().toString()).startsWith("debian-python-" + source.suite() + "-r");
        try (Stream<Path> s = Files.list(cache)) {
            assertThat(s.toList()).containsExactly(layout); // no temporary directory left behind
        }
        try (Stream<Path> s = Files.list(tmp.resolve("work"))) {
            assertThat(s.toList()).isEmpty();
        }

        // cached: the second call returns the same layout without rebuilding
        FileTime indexTime = Files.getLastModifiedTime(layout.resolve("index.json"));
        long c0 = System.nanoTime();
        assertThat(BuiltinImages.debianPython(cache, tmp.resolve("work"), source)).isEqualTo(layout);
        assertThat((System.nanoTime() - c0) / 1_000_000).isLessThan(5_000);
        assertThat(Files.getLastModifiedTime(layout.resolve("index.json"))).isEqualTo(indexTime);

        List<String> warnings = new ArrayList<>();
        Path root = tmp.resolve("root");
        long u0 = System.nanoTime();
        ImageUnpacker.Result r = BuiltinTestSupport.unpack(layout, tmp, root, warnings);
        System.out.printf("unpacked %d bytes in %d ms; warnings %s%n", r.bytesWritten(),
                (System.nanoTime() - u0) / 1_000_000, warnings);
        assertThat(warnings).isEmpty();

        assertThat(r.config().cmd()).containsExactly("python3", "-m", "http.server", "8080", "--bind", "127.0.0.1");
        assertThat(r.config().workingDir()).isEqualTo("/root");
        assertThat(r.config().env()).containsExactly("PATH=" + BuiltinImages.PATH, "LANG=C.UTF-8");
        assertThat(r.config().exposedPorts()).containsExactly("8080/tcp");
        assertThat(r.config().labels()).containsEntry("dev.burrow.demo", "true");
        assertThat(r.image().layers()).hasSize(1);

        assertThat(Files.exists(root.resolve("usr/bin/python3"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(root.resolve("etc/hostname")).hasContent("burrow");
        assertThat(root.resolve("etc/machine-id")).exists();
        assertThat(Files.readString(root.resolve("etc/passwd"))).contains("\nburrow:x:1000:1000:burrow:/home/burrow:/bin/bash\n");
        assertThat(Files.readString(root.resolve("etc/group"))).contains("\nburrow:x:1000:\n");
        assertThat(Files.readString(root.resolve("etc/shadow"))).contains("\nburrow:!:");
        assertThat(mode(root.resolve("etc/shadow"))).isEqualTo(0640);
        assertThat(root.resolve("etc/resolv.conf")).isEmptyFile();
        assertThat(mode(root.resolve("tmp"))).isEqualTo(01777);
        for (String trimmed : DebianPythonImage.TRIMMED) {
            try (Stream<Path> s = Files.list(root.resolve(trimmed))) {
                assertThat(s.toList()).as(trimmed).isEmpty();
            }
        }
        assertThat(uid(root.resolve("home/burrow"))).isEqualTo(1000);
        assertThat(uid(root.resolve("home/burrow/.bashrc"))).isEqualTo(1000);
        assertThat(uid(root.resolve("usr/bin/python3"))).isZero();
        assertThat(mode(root.resolve("usr/bin/passwd")) & 04000).as("setuid kept").isEqualTo(04000);

        // the image works: python runs as root and as burrow
        assertThat(BuiltinTestSupport.run(root, "python3", "-c", "import http.server, sys; print(sys.version_info[0])"))
                .contains("3");
        // the unpacker keeps its staging root 0700; the guest's ext4 root is 0755 (mkfs.ext4 -d)
        Files.setAttribute(root, "unix:mode", 0755);
        assertThat(BuiltinTestSupport.run(root, "setpriv", "--reuid=1000", "--regid=1000", "--clear-groups",
                "/bin/sh", "-c", "cd /home/burrow && touch mine && ls -n mine && id -un"))
                .contains(" 1000 1000 ", "burrow");
    }

    @Test
    void aFailedDebootstrapReportsWhyAndLeavesNothingBehind() throws Exception {
        DebianSource unreachable = new DebianSource(DebianSource.host().suite(), "http://127.0.0.1:9/debian");
        Path cache = tmp.resolve("cache");
        Path work = tmp.resolve("work");
        assertThatThrownBy(() -> BuiltinImages.debianPython(cache, work, unreachable))
                .hasMessageContaining("debootstrap " + unreachable.suite() + " from http://127.0.0.1:9/debian failed")
                .hasMessageContaining("last lines");
        try (Stream<Path> s = Files.list(work)) {
            assertThat(s.toList()).isEmpty();
        }
        try (Stream<Path> s = Files.list(cache)) {
            assertThat(s.toList()).isEmpty();
        }
        assertThat(RootTrees.mountsUnder(tmp)).isEmpty();
    }
}
