package dev.burrow.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.images.BuildSettings;
import dev.burrow.daemon.images.EntrypointStatus;
import dev.burrow.daemon.images.Hook;
import dev.burrow.daemon.images.Hooks;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.Resources;
import dev.burrow.daemon.images.VersionState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteImageStoreTest {

    @TempDir
    Path dir;

    Database db;
    String tenantA;
    String tenantB;
    SqliteImageStore a;
    SqliteImageStore b;

    @BeforeEach
    void open() {
        TwoTenantStores stores = TwoTenantStores.open(dir);
        db = stores.db();
        tenantA = stores.tenantA();
        tenantB = stores.tenantB();
        a = stores.a();
        b = stores.b();
    }

    @AfterEach
    void close() {
        db.close();
    }

    static ImageVersion full(String image, int version) {
        BuildSettings settings = new BuildSettings(new Resources(2, 1024, 4096),
                new Hooks(9001, new Hook(true, 120), Hook.DISABLED, new Hook(true, 5), Hook.DISABLED, new Hook(true, 2), Hook.DISABLED),
                List.of("python3", "-u"), List.of("-m", "http.server", "8080"), Map.of("K", "V", "PATH", "/usr/bin"),
                "/srv", "app", 8080);
        return new ImageVersion(image, version, VersionState.READY, "built in 3 s", false, settings, "path:/tmp/x.tar (oci-archive)",
                Instant.parse("2026-11-29T10:00:00.123456789Z"), Instant.parse("2026-11-29T10:00:03.000000001Z"),
                EntrypointStatus.exited(137, Instant.parse("2026-11-29T10:00:02.5Z")),
                Map.of("unpack", 5398L, "mkfs", 361L, "boot", 7042L, "ready", 0L, "snapshot", 70L, "validate", 0L),
                Path.of("/var/lib/burrow/images/demo/1"), Path.of("/var/lib/burrow/images/demo/1/build.log"));
    }

    static ImageVersion pending(String image, int version) {
        return new ImageVersion(image, version, VersionState.PENDING, null, true, BuildSettings.NONE.withDefaults(), "path:/x",
                Instant.now(), Instant.now(), EntrypointStatus.NONE, Map.of(), null, null);
    }

    @Test
    void roundTripsAVersionExactly() {
        ImageVersion v = full("demo", 1);
        assertThat(a.createImage(v)).isTrue();
        assertThat(a.version("demo", 1)).contains(v);
        assertThat(a.versions("demo")).containsExactly(v);
        assertThat(a.images()).containsExactly("demo");

        ImageVersion sparse = new ImageVersion("bare", 1, VersionState.PENDING, null, true, null, null,
                Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:00:00Z"), null, null, null, null);
        assertThat(a.createImage(sparse)).isTrue();
        assertThat(a.version("bare", 1)).contains(sparse);
        ImageVersion running = new ImageVersion("bare", 1, VersionState.BUILDING, "booting", true, BuildSettings.NONE, "s",
                sparse.createdAt(), Instant.parse("2026-01-01T00:00:01Z"), EntrypointStatus.RUNNING, Map.of("unpack", 1L), null, null);
        a.update(running);
        assertThat(a.version("bare", 1)).contains(running);
    }

    @Test
    void refusesDuplicateNamesAndNonNextVersions() {
        assertThat(a.createImage(full("demo", 1))).isTrue();
        assertThat(a.createImage(pending("demo", 1))).isFalse();
        assertThat(a.version("demo", 1)).contains(full("demo", 1));
        assertThatThrownBy(() -> a.addVersion(pending("demo", 3))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.addVersion(pending("demo", 1))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.addVersion(pending("nope", 1))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.update(pending("demo", 9))).isInstanceOf(IllegalStateException.class);
        a.addVersion(pending("demo", 2));
        assertThat(a.versions("demo")).extracting(ImageVersion::version).containsExactly(1, 2);
        assertThat(a.version("demo", 3)).isEmpty();
        assertThat(a.versions("nope")).isEmpty();
    }

    @Test
    void concurrentAddVersionYieldsOneToNWithoutGaps() throws Exception {
        a.createImage(pending("demo", 1));
        int threads = 10;
        int perThread = 5;
        CountDownLatch start = new CountDownLatch(1);
        List<Integer> added = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int idx = t;
                fs.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        // half use the racy read-then-add of ImageStore (retrying on refusal), half addNextVersion
                        if (idx % 2 == 0) {
                            while (true) {
                                int next = a.versions("demo").size() + 1;
                                try {
                                    a.addVersion(pending("demo", next));
                                    added.add(next);
                                    break;
                                } catch (IllegalStateException raced) {
                                    // someone else took that number: read again
                                }
                            }
                        } else {
                            added.add(a.addNextVersion("demo", n -> pending("demo", n)).version());
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : fs) {
                f.get();
            }
        }
        int n = 1 + threads * perThread;
        assertThat(added).doesNotHaveDuplicates().hasSize(threads * perThread);
        assertThat(a.versions("demo")).extracting(ImageVersion::version)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, n).boxed().toList());
    }

    @Test
    void tenantsNeverSeeEachOthersImages() {
        a.createImage(full("demo", 1));
        assertThat(b.images()).isEmpty();
        assertThat(b.version("demo", 1)).isEmpty();
        assertThat(b.versions("demo")).isEmpty();
        assertThat(b.setPublic("demo", true)).isFalse();
        assertThat(b.deleteImage("demo")).isFalse();
        assertThatThrownBy(() -> b.addVersion(pending("demo", 2))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.update(full("demo", 1))).isInstanceOf(IllegalStateException.class);
        // the same name in another tenant is a different image
        assertThat(b.createImage(pending("demo", 1))).isTrue();
        assertThat(a.version("demo", 1)).contains(full("demo", 1));
    }

    @Test
    void publicImagesAreVisibleAcrossTenants() {
        a.createImage(full("demo", 1));
        assertThat(b.publicVersion("demo", 1)).isEmpty();
        assertThat(a.setPublic("demo", true)).isTrue();
        assertThat(b.publicVersion("demo", 1)).contains(full("demo", 1));
        assertThat(b.publicVersions("demo")).containsExactly(full("demo", 1));
        assertThat(b.publicImages()).extracting(SqliteImageStore.ImageInfo::name).containsExactly("demo");
        assertThat(a.image("demo")).map(SqliteImageStore.ImageInfo::isPublic).contains(true);
        assertThat(a.setPublic("demo", false)).isTrue();
        assertThat(b.publicVersion("demo", 1)).isEmpty();
    }

    @Test
    void deletingAnImageDeletesItsVersions() {
        a.createImage(full("demo", 1));
        a.addVersion(pending("demo", 2));
        assertThat(a.deleteVersion("demo", 2)).isTrue();
        assertThat(a.versions("demo")).hasSize(1);
        assertThat(a.deleteImage("demo")).isTrue();
        assertThat(a.images()).isEmpty();
        assertThat(a.versions("demo")).isEmpty();
        assertThat(a.createImage(pending("demo", 1))).isTrue();
    }
}
