package dev.burrow.vmm.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Against the host's real Debian kernel package, in the shared cache ({@code BURROW_CACHE_DIR}, default
 * {@code /var/cache/burrow}). The first run downloads the package; CI fetches it beforehand.
 */
@EnabledOnOs(OS.LINUX)
class RealKernelTest {
    @TempDir
    Path tmp;

    @Test
    void realKernelGivesAnInitramfsWithModulesInDependencyOrder() throws Exception {
        KernelCache cache = new KernelCache(KernelCache.cacheDirFromEnvironment());
        long t0 = System.nanoTime();
        GuestKernel kernel = cache.ensure();
        long t1 = System.nanoTime();
        assertThat(cache.ensure()).isEqualTo(kernel);
        long t2 = System.nanoTime();
        System.out.printf("KernelCache.ensure(): first %d ms, second %d ms -> %s%n",
                (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, kernel);

        assertThat(kernel.vmlinuz()).isRegularFile().hasFileName("vmlinuz-" + kernel.release());
        assertThat(kernel.modulesDir()).isDirectory().hasFileName(kernel.release());
        assertThat(kernel.packageName()).startsWith("linux-image-");

        Path agent = Files.write(tmp.resolve("agent"), new byte[] {0x7f, 'E', 'L', 'F'});
        Path initrd = new InitramfsBuilder().build(kernel, agent, InitramfsBuilder.DEFAULT_MODULES,
                tmp.resolve("initrd.cpio.gz"));
        List<CpioReader.Entry> entries = CpioReader.readGzip(initrd);
        List<String> order = CpioReader.find(entries, "burrow/modules.order").text().lines().toList();
        List<String> names = order.stream().map(p -> p.substring(p.indexOf('-') + 1, p.length() - 3)).toList();
        System.out.printf("initramfs %d bytes, %d modules: %s%n", Files.size(initrd), names.size(), names);

        for (String path : order) {
            CpioReader.Entry module = CpioReader.find(entries, path.substring(1));
            assertThat(Arrays.copyOf(module.data(), 4)).as(path).containsExactly(0x7f, 'E', 'L', 'F');
        }
        ModuleResolver resolver = ModuleResolver.load(kernel.modulesDir());
        for (String wanted : InitramfsBuilder.DEFAULT_MODULES) {
            if (!resolver.isBuiltin(wanted)) {
                assertThat(names).contains(wanted);
            }
        }
        assertDependenciesFirst(kernel.modulesDir(), names);
        if (names.contains("crc32c_generic")) {
            assertThat(names.indexOf("crc32c_generic")).isLessThan(names.indexOf("ext4"));
            if (names.contains("jbd2")) {
                assertThat(names.indexOf("crc32c_generic")).isLessThan(names.indexOf("jbd2"));
            }
        } else {
            assertThat(resolver.isBuiltin("crc32c_generic")).as("crc32c is built in when not a module").isTrue();
        }
        assertThat(names.indexOf("virtio_mmio")).isGreaterThan(names.indexOf("virtio_ring"));
        assertThat(names.indexOf("virtio_blk")).isGreaterThan(names.indexOf("virtio"));
    }

    /** Independently of ModuleResolver: every module listed in modules.dep for X is before X. */
    private static void assertDependenciesFirst(Path modulesDir, List<String> names) throws Exception {
        Map<String, List<String>> deps = new HashMap<>();
        for (String line : Files.readAllLines(modulesDir.resolve("modules.dep"))) {
            String[] parts = line.split(":", 2);
            deps.put(name(parts[0]), Arrays.stream(parts[1].trim().split("\\s+"))
                    .filter(s -> !s.isEmpty()).map(RealKernelTest::name).toList());
        }
        for (String module : names) {
            for (String dep : deps.getOrDefault(module, List.of())) {
                assertThat(names).as("dependency %s of %s", dep, module).contains(dep);
                assertThat(names.indexOf(dep)).as("%s before %s", dep, module).isLessThan(names.indexOf(module));
            }
        }
    }

    private static String name(String path) {
        String base = path.substring(path.lastIndexOf('/') + 1);
        return base.substring(0, base.indexOf(".ko")).replace('-', '_');
    }
}
