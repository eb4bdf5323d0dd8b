package dev.burrow.daemon.images.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.burrow.oci.ImageUnpacker;
import dev.burrow.vmm.kernel.KernelCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian managed bases as the host builds them (into the shared cache, so a run after the
 * first reads them from there): each unpacks without warnings into a root where its interpreter
 * runs, as root and as {@code burrow}, with the base's config.
 */
@Tag("slow")
@EnabledIf("dev.burrow.daemon.images.builtin.BuiltinTestSupport#slowTestsEnabled")
class ManagedDebianBasesTest {
    @TempDir
    Path tmp;

    private Path unpacked(String name) throws Exception {
        assumeTrue(BuiltinTestSupport.runningAsRoot(), "debootstrap and chroot need root");
        ManagedBases bases = new ManagedBases(KernelCache.cacheDirFromEnvironment().resolve("images"), tmp.resolve("work"));
        Path layout = bases.layout(name);
        assertThat(layout.getFileName().toString()).startsWith("base-" + name + "-" + DebianSource.host().suite() + "-r");
        List<String> warnings = new ArrayList<>();
        Path root = tmp.resolve(name);
        ImageUnpacker.Result r = BuiltinTestSupport.unpack(layout, tmp, root, warnings);
        assertThat(warnings).isEmpty();
        assertThat(r.config()).isEqualTo(bases.find(name).orElseThrow().config());
        assertThat(root.resolve("etc/hostname")).hasContent("burrow");
        assertThat(root.resolve("etc/resolv.conf")).isEmptyFile();
        assertThat(Files.readString(root.resolve("etc/passwd"))).contains("\nburrow:x:1000:1000:");
        Files.setAttribute(root, "unix:mode", 0755); // the guest's ext4 root is 0755 (mkfs.ext4 -d)
        return root;
    }

    @Test
    void pythonRunsPython3AsRootAndAsBurrow() throws Exception {
        Path root = unpacked("python");
        assertThat(BuiltinTestSupport.run(root, "python3", "-c", "import http.server, json, sys; print(sys.version_info[0])"))
                .contains("3");
        assertThat(BuiltinTestSupport.run(root, "setpriv", "--reuid=1000", "--regid=1000", "--clear-groups",
                "python3", "-c", "import os; print(os.getuid())")).contains("1000");
    }

    @Test
    void nodeRunsNodeAsRootAndAsBurrow() throws Exception {
        Path root = unpacked("node");
        assertThat(BuiltinTestSupport.run(root, "node", "-e", "console.log(require('http').STATUS_CODES[200])")).contains("OK");
        assertThat(BuiltinTestSupport.run(root, "setpriv", "--reuid=1000", "--regid=1000", "--clear-groups",
                "node", "-e", "console.log(process.getuid())")).contains("1000");
        assertThat(Files.exists(root.resolve("usr/bin/npm"))).as("npm is a separate Debian package").isFalse();
    }
}
