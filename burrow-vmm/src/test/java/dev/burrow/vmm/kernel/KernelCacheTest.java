package dev.burrow.vmm.kernel;

import dev.burrow.vmm.kernel.internal.KernelStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Cache behaviour that needs no network: a package apt cannot download stands for being offline. */
class KernelCacheTest {
    private static final String MISSING = "linux-image-burrow-test-missing-amd64";

    @TempDir
    Path cache;

    private GuestKernel fakeEntry(String pkg, String version, String release, long markerMillis) throws IOException {
        Path dir = new KernelStore(cache).entry(pkg, version);
        Files.createDirectories(dir.resolve("boot"));
        Files.writeString(dir.resolve("boot/vmlinuz-" + release), "kernel");
        Path modules = Files.createDirectories(dir.resolve("lib/modules/" + release));
        Files.writeString(modules.resolve("modules.dep"), "");
        KernelStore.writeMarker(dir, new GuestKernel(Path.of("boot/vmlinuz-" + release),
                Path.of("lib/modules/" + release), release, pkg, version));
        Files.setLastModifiedTime(dir.resolve(KernelStore.MARKER), FileTime.fromMillis(markerMillis));
        return new GuestKernel(dir.resolve("boot/vmlinuz-" + release), modules, release, pkg, version);
    }

    @Test
    void aCompleteCachedKernelOfThePackageIsReused() throws Exception {
        GuestKernel cached = fakeEntry("linux-image-9.9.9-1-amd64", "1:9.9.9-1", "9.9.9-1-amd64", 1000);
        assertThat(cached.vmlinuz().toString()).contains("linux-image-9.9.9-1-amd64_1%3a9.9.9-1");
        assertThat(new KernelCache(cache, "linux-image-9.9.9-1-amd64").ensure()).isEqualTo(cached);
    }

    @Test
    void whenTheKernelCannotBeFetchedTheNewestCachedOneIsUsed() throws Exception {
        fakeEntry("linux-image-9.9.8-1-amd64", "9.9.8-1", "9.9.8-1-amd64", 1000);
        GuestKernel newer = fakeEntry("linux-image-9.9.9-1-amd64", "9.9.9-1", "9.9.9-1-amd64", 2000);
        assertThat(new KernelCache(cache, MISSING).ensure()).isEqualTo(newer);
    }

    @Test
    void anIncompleteEntryIsNotUsed() throws Exception {
        GuestKernel k = fakeEntry("linux-image-9.9.9-1-amd64", "9.9.9-1", "9.9.9-1-amd64", 1000);
        Files.delete(k.modulesDir().resolve("modules.dep"));
        assertThatThrownBy(() -> new KernelCache(cache, "linux-image-9.9.9-1-amd64").ensure())
                .isInstanceOf(KernelException.class);
    }

    @Test
    void withNothingCachedAFailedFetchSaysWhatFailedAndWhatToDo() throws Exception {
        Files.createDirectories(cache.resolve("kernels/.tmp-leftover/root"));
        assertThatThrownBy(() -> new KernelCache(cache, MISSING).ensure())
                .isInstanceOf(KernelException.class)
                .hasMessageContaining("No guest kernel in " + cache.resolve("kernels"))
                .hasMessageContaining("apt-get download")
                .hasMessageContaining(MISSING)
                .hasMessageContaining("BURROW_KERNEL_PACKAGE");
        try (Stream<Path> left = Files.list(cache.resolve("kernels"))) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly(".lock");
        }
    }

    @Test
    void aPackageNameThatIsNotOneIsRefusedEvenWithAKernelCached() throws Exception {
        fakeEntry("linux-image-9.9.9-1-amd64", "9.9.9-1", "9.9.9-1-amd64", 1000);
        assertThatThrownBy(() -> new KernelCache(cache, "-o=evil").ensure())
                .isInstanceOf(KernelException.class)
                .hasMessageContaining("'-o=evil' is not a Debian package name");
    }
}
