package dev.burrow.oci;

import static dev.burrow.oci.TarEntrySpec.dir;
import static dev.burrow.oci.TarEntrySpec.file;
import static dev.burrow.oci.TarEntrySpec.symlink;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Ext4ImageTest {
    @TempDir
    Path tmp;

    private Path unpackSmallTree() throws IOException {
        Path image = tmp.resolve("image");
        Fixtures.layout(image, List.of(dir("etc"), file("etc/hostname", "burrow\n"),
                file("file", "owned").withOwner(1000, 1001).withMode(04750).withXattr("user.origin", "burrow"), symlink("link", "/etc/hostname"),
                dir("home"), dir("home/u").withOwner(1000, 1000).withMode(0700)));
        Path staging = tmp.resolve("staging");
        Fixtures.unpack(image, tmp, staging);
        return staging;
    }

    @Test
    void buildsADiskWithOwnershipAndModes() throws Exception {
        Path staging = unpackSmallTree();
        Path disk = tmp.resolve("root.ext4");
        Ext4Image.Result r = Ext4Image.build(staging, disk, 32);

        assertThat(r.sizeBytes()).isEqualTo(32L * 1024 * 1024);
        assertThat(Files.size(disk)).isEqualTo(32L * 1024 * 1024);
        assertThat(r.usedBytes()).isPositive().isLessThan(r.sizeBytes());
        long allocated = (Long) Files.getAttribute(disk, "unix:size") > 0 ? allocatedBytes(disk) : 0;
        assertThat(allocated).isLessThan(r.sizeBytes()); // sparse

        String stat = debugfs(disk, "stat /file");
        assertThat(stat).containsPattern("Type: regular\\s+Mode:\\s+04750");
        assertThat(stat).containsPattern("User:\\s+1000\\s+Group:\\s+1001");
        assertThat(debugfs(disk, "stat /home/u")).containsPattern("Mode:\\s+0700").containsPattern("User:\\s+1000\\s+Group:\\s+1000");
        assertThat(debugfs(disk, "stat /")).containsPattern("Mode:\\s+0755").containsPattern("User:\\s+0\\s+Group:\\s+0");
        assertThat(debugfs(disk, "cat /etc/hostname")).isEqualTo("burrow\n");
        assertThat(debugfs(disk, "stat /link")).contains("Type: symlink").contains("Fast link dest: \"/etc/hostname\"");
        assertThat(debugfs(disk, "ea_list /file")).contains("user.origin").contains("burrow");
        assertThat(debugfs(disk, "stats")).contains("Filesystem volume name:   burrow-root");
    }

    @Test
    void aTreeThatDoesNotFitFailsClearly() throws Exception {
        Path staging = Files.createDirectories(tmp.resolve("big"));
        byte[] noise = new byte[12 * 1024 * 1024];
        new Random(1).nextBytes(noise);
        Files.write(staging.resolve("noise"), noise);
        Path disk = tmp.resolve("small.ext4");
        assertThatThrownBy(() -> Ext4Image.build(staging, disk, 8))
                .isInstanceOf(ImageException.class)
                .hasMessageStartingWith("the root file system does not fit in 8 MiB: ");
        assertThat(disk).doesNotExist();
    }

    private static long allocatedBytes(Path p) throws Exception {
        Process proc = new ProcessBuilder("stat", "-c", "%b %B", p.toString()).start();
        String[] out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().split(" ");
        proc.waitFor();
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }

    private static String debugfs(Path disk, String request) throws Exception {
        Process p = new ProcessBuilder("/usr/sbin/debugfs", "-R", request, disk.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        return out;
    }
}
