package dev.burrow.oci;

import static dev.burrow.oci.TarEntrySpec.dir;
import static dev.burrow.oci.TarEntrySpec.file;
import static dev.burrow.oci.TarEntrySpec.symlink;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The merged-/usr and /var/run shapes of a Debian root, with files written through the links. */
class DebianShapeTest {
    @TempDir
    Path tmp;

    @Test
    void filesWrittenThroughLinksLandWhereTheGuestWillSeeThem() throws Exception {
        Path image = tmp.resolve("image");
        Fixtures.layout(image,
                List.of(dir("usr"), dir("usr/lib"), dir("usr/bin"), dir("run"), dir("var"),
                        symlink("var/run", "/run"), symlink("lib", "usr/lib"), symlink("bin", "usr/bin"),
                        symlink("lib64", "usr/lib64")),
                List.of(dir("lib/x86_64-linux-gnu"), file("lib/x86_64-linux-gnu/libc.so.6", "libc").withMode(0755),
                        dir("lib64"), file("lib64/ld-linux-x86-64.so.2", "ld"),
                        file("var/run/pid", "1"), file("bin/sh", "dash").withMode(0755)));
        Path staging = tmp.resolve("staging");
        Fixtures.unpack(image, tmp, staging);

        assertThat(staging.resolve("usr/lib/x86_64-linux-gnu/libc.so.6")).hasContent("libc");
        assertThat(staging.resolve("run/pid")).hasContent("1");
        assertThat(staging.resolve("usr/bin/sh")).hasContent("dash");
        assertThat(Files.readSymbolicLink(staging.resolve("lib")).toString()).isEqualTo("usr/lib");
        assertThat(Files.readSymbolicLink(staging.resolve("var/run")).toString()).isEqualTo("/run");
        // 'dir lib64' replaces the dangling lib64 link, as docker does for a directory entry
        assertThat(Files.isSymbolicLink(staging.resolve("lib64"))).isFalse();
        assertThat(staging.resolve("lib64/ld-linux-x86-64.so.2")).hasContent("ld");
        assertThat(Trees.describe(staging)).containsOnlyKeys("usr", "usr/lib", "usr/bin", "run", "var", "var/run",
                "lib", "bin", "lib64", "usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu/libc.so.6",
                "lib64/ld-linux-x86-64.so.2", "run/pid", "usr/bin/sh");
    }
}
