package dev.burrow.daemon.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.ZstdOutputStream;
import dev.burrow.oci.BuildLog;
import dev.burrow.oci.Digest;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.MediaTypes;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.vmm.Hypervisor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile imports through the image service, without a VMM: every one fails in the unpack phase,
 * before the engine is touched (the engine here fails any call). The version ends FAILED with a
 * reason naming the limit and no host path, and nothing is left in staging.
 */
@Tag("hostile")
class ImageImportLimitsTest {
    private static final Duration BUILD = Duration.ofSeconds(60);
    private static final BuildSettings SMALL_DISK = BuildSettings.NONE.withResources(new Resources(1, 256, 1024));

    @TempDir
    Path tmp;
    Path dataDir;
    ImageService images;
    final List<ImageEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        dataDir = Files.createDirectories(tmp.resolve("data"));
        images = new ImageService("t1", new InMemoryImageStore(), noEngine(), dataDir, dataDir.resolve("tenants/t1"), 1);
        images.onEvent(events::add);
    }

    @AfterEach
    void tearDown() {
        images.close();
    }

    private static Hypervisor noEngine() {
        return (Hypervisor) Proxy.newProxyInstance(Hypervisor.class.getClassLoader(), new Class<?>[] {Hypervisor.class},
                (proxy, method, args) -> {
                    throw new AssertionError("the engine was called: " + method.getName());
                });
    }

    private ImageVersion failed(ImageVersion v) throws InterruptedException, IOException {
        ImageVersion done = images.await(v.image(), v.version(), BUILD);
        assertThat(done.state()).as(done.stateReason()).isEqualTo(VersionState.FAILED);
        assertThat(done.stateReason()).doesNotContain(tmp.toString()).doesNotContain(tmp.toRealPath().toString());
        Path versionDir = dataDir.resolve("tenants/t1/images").resolve(v.image()).resolve(Integer.toString(v.version()));
        assertThat(versionDir.resolve("staging")).doesNotExist();
        assertThat(versionDir.resolve("rootfs.ext4")).doesNotExist();
        return done;
    }

    @Test
    void aLayerThatOutgrowsTheDiskFailsTheBuildBeforeMkfs() throws Exception {
        long twoGiB = 2L << 30;
        byte[] layer = zstdTar(out -> {
            out.write(header("zeros", '0', twoGiB));
            fill(out, twoGiB, (byte) 0);
            out.write(new byte[1024]);
        });
        assertThat(layer.length).as("compressed bytes").isLessThan(1 << 20);
        Path image = layout(layer);

        ImageVersion v = failed(images.create("bomb", new ImageSourceSpec.HostPath(image, null), SMALL_DISK));

        assertThat(v.stateReason()).isEqualTo(
                "unpacking the image failed: the image's files need more than 1024 MiB; raise resources.diskMiB (max 32768)");
        assertThat(Files.readString(v.buildLog())).contains("FAILED: unpacking the image failed: the image's files need more than 1024 MiB");
    }

    @Test
    void aPaxHeaderOf300MegabytesFailsTheBuildNamingTheLimit() throws Exception {
        long huge = 300L << 20;
        byte[] layer = zstdTar(out -> {
            out.write(header("PaxHeaders/x", 'x', huge));
            fill(out, huge, (byte) 'a');
            out.write(header("x", '0', 0));
            out.write(new byte[1024]);
        });
        Path image = layout(layer);

        ImageVersion v = failed(images.create("pax", new ImageSourceSpec.HostPath(image, null), BuildSettings.NONE));

        assertThat(v.stateReason()).contains("a PAX extended header of " + huge + " bytes exceeds the limit of 1048576 bytes");
    }

    @Test
    void aMissingUploadIsNamedRelativeToTheDataDirectory() throws Exception {
        Path upload = dataDir.resolve("uploads/u123");

        ImageVersion v = failed(images.create("gone", new ImageSourceSpec.HostPath(upload, null), BuildSettings.NONE));

        assertThat(v.source()).isEqualTo("path:uploads/u123");
        assertThat(v.stateReason()).isEqualTo("unpacking the image failed: image uploads/u123 does not exist");
        assertThat(Files.readString(v.buildLog())).doesNotContain(tmp.toString());
    }

    @Test
    void anAdminPathOutsideTheDataDirectoryIsNamedByItsFileNameOnly() throws Exception {
        Path elsewhere = tmp.resolve("admin/images/app.tar");

        ImageVersion v = failed(images.create("admin", new ImageSourceSpec.HostPath(elsewhere, null), BuildSettings.NONE));

        assertThat(v.source()).isEqualTo("path:app.tar");
        assertThat(v.stateReason()).isEqualTo("unpacking the image failed: image app.tar does not exist");
    }

    @Test
    void aStagingPathInAMessageBecomesImageRelative() throws IOException {
        Path staging = dataDir.resolve("tenants/t1/images/x/1/staging");
        ImageService.HostPaths paths = new ImageService.HostPaths();
        paths.add(staging, "/");
        paths.add(dataDir, "");

        assertThat(paths.scrub("cannot create " + staging + "/etc/passwd in " + dataDir + "/tenants/t1/images/x/1/rootfs.ext4"))
                .isEqualTo("cannot create /etc/passwd in tenants/t1/images/x/1/rootfs.ext4");
    }

    @Test
    void buildMicroVmIdsDifferAcrossTenantsAndAreValidEngineIds() {
        String a = VersionBuilder.builderId("tenant-a", "my-app", 3);
        String b = VersionBuilder.builderId("tenant-b", "my-app", 3);
        String longName = VersionBuilder.builderId("tenant-a", "a".repeat(63), 12345);

        assertThat(a).isNotEqualTo(b).startsWith("build-").endsWith("-3-my-app");
        assertThat(VersionBuilder.builderId("tenant-a", "my-app", 4)).isNotEqualTo(a);
        for (String id : List.of(a, b, longName)) {
            assertThat(id).hasSizeLessThanOrEqualTo(VersionBuilder.MAX_VM_ID).matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
        }
    }

    @Test
    void aGuestExitingItsEntrypointInALoopIsLoggedAndReportedOnce() {
        AtomicReference<EntrypointStatus> status = new AtomicReference<>(EntrypointStatus.RUNNING);
        List<String> log = new ArrayList<>();
        List<ImageEvent> emitted = new ArrayList<>();
        BuildLog lines = new BuildLog() {
            @Override
            public void warn(String message) {
                log.add("WARNING " + message);
            }

            @Override
            public void info(String message) {
                log.add(message);
            }
        };
        VersionBuilder.EntrypointExits exits = new VersionBuilder.EntrypointExits("app:1", status, lines, emitted::add);

        for (int i = 0; i < 10_000; i++) {
            exits.entrypointExited(i % 256, 0);
        }

        assertThat(exits.count()).isEqualTo(10_000);
        assertThat(emitted).singleElement().satisfies(e -> assertThat(e.reason()).isEqualTo("exit code 0"));
        assertThat(log).containsExactly("entrypoint exited with code 0");
        assertThat(status.get().state()).isEqualTo(EntrypointStatus.State.EXITED);
        assertThat(status.get().exitCode()).isEqualTo(9_999 % 256);
    }

    @FunctionalInterface
    private interface TarBody {
        void write(OutputStream out) throws IOException;
    }

    /** A zstd-compressed tar built by streaming: the declared sizes are never held in memory. */
    private static byte[] zstdTar(TarBody body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream z = new ZstdOutputStream(bytes, 1)) {
            body.write(z);
        }
        return bytes.toByteArray();
    }

    private Path layout(byte[] zstdLayer) throws IOException {
        Path dir = tmp.resolve("layout");
        new OciLayoutWriter(ImageConfig.EMPTY)
                .addRawLayer(zstdLayer, MediaTypes.OCI_LAYER_ZSTD, new Digest("0".repeat(64)))
                .writeLayout(dir);
        return dir;
    }

    private static void fill(OutputStream out, long size, byte b) throws IOException {
        byte[] chunk = new byte[1 << 16];
        Arrays.fill(chunk, b);
        for (long left = size; left > 0; left -= chunk.length) {
            out.write(chunk, 0, (int) Math.min(left, chunk.length));
        }
        out.write(new byte[(int) ((512 - size % 512) % 512)]);
    }

    /** A ustar header: name, typeflag, size; root-owned, fixed time. */
    private static byte[] header(String name, char type, long size) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, "%011o".formatted(size));
        put(h, 136, "%011o".formatted(946684800L));
        h[156] = (byte) type;
        put(h, 257, "ustar");
        put(h, 263, "00");
        Arrays.fill(h, 148, 156, (byte) ' ');
        int sum = 0;
        for (byte x : h) {
            sum += x & 0xff;
        }
        put(h, 148, "%06o".formatted(sum));
        h[154] = 0;
        return h;
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }
}
