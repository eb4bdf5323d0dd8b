package dev.burrow.daemon.images;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.Accelerator;
import dev.burrow.vmm.HostProfile;
import dev.burrow.vmm.Hypervisor;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.internal.FileTrees;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A run's image lookups (issue 13): an image's versions are read from the store once and kept
 * until a write through the service changes them; a template's manifest is parsed once and
 * kept while the file is unchanged. No engine: rows and files only.
 */
class VersionLookupsTest {

    /** An in-memory store that counts the reads of version lists and can hold one read until told. */
    private static final class CountingStore implements ImageStore {
        final InMemoryImageStore rows = new InMemoryImageStore();
        final AtomicInteger versionReads = new AtomicInteger();
        volatile CountDownLatch readTaken;
        volatile CountDownLatch readMayFinish;

        @Override public boolean createImage(ImageVersion first) { return rows.createImage(first); }
        @Override public void addVersion(ImageVersion next) { rows.addVersion(next); }
        @Override public void update(ImageVersion v) { rows.update(v); }
        @Override public Optional<ImageVersion> version(String image, int version) { return rows.version(image, version); }
        @Override public List<String> images() { return rows.images(); }
        @Override public boolean deleteImage(String image) { return rows.deleteImage(image); }
        @Override public boolean deleteVersion(String image, int version) { return rows.deleteVersion(image, version); }

        @Override
        public List<ImageVersion> versions(String image) {
            versionReads.incrementAndGet();
            List<ImageVersion> read = rows.versions(image);
            CountDownLatch taken = readTaken;
            if (taken != null) {
                readTaken = null;
                taken.countDown();
                try {
                    readMayFinish.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return read;
        }
    }

    private static final HostProfile PROFILE = new HostProfile("fake", "1", "microvm", "fake", Accelerator.TCG, "kernel", 2);

    private Path dataDir;
    private final CountingStore store = new CountingStore();
    private ImageService images;

    @BeforeEach
    void setUp() throws IOException {
        dataDir = Files.createTempDirectory("version-lookups-");
        // deletes drop warm VMMs of READY versions: an engine that has none
        Hypervisor noEngine = (Hypervisor) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Hypervisor.class},
                (proxy, method, args) -> null);
        images = new ImageService(store, noEngine, dataDir, 1);
    }

    @AfterEach
    void tearDown() {
        images.close();
        FileTrees.deleteQuietly(dataDir);
    }

    @Test
    void aRunsLookupsOfOneImageReadItsVersionsOnce() throws Exception {
        ready("app", 1);
        ready("app", 2);
        for (int i = 0; i < 5; i++) {
            assertThat(images.versions("app")).hasSize(2);
            assertThat(images.newestRunnable("app").orElseThrow().version()).isEqualTo(2);
            assertThat(images.version("app", 1)).isPresent();
        }
        assertThat(store.versionReads).hasValue(1);
    }

    @Test
    void anInactiveVersionIsSeenByTheNextLookup() throws Exception {
        ready("app", 1);
        ready("app", 2);
        assertThat(images.newestRunnable("app").orElseThrow().version()).isEqualTo(2);

        images.setActive("app", 2, false); // PATCH …/versions/2 {"active": false}

        assertThat(images.newestRunnable("app").orElseThrow().version()).isEqualTo(1);
        assertThat(images.version("app", 2).orElseThrow().active()).isFalse();
    }

    @Test
    void aDeletedVersionIsGoneFromTheNextLookup() throws Exception {
        ready("app", 1);
        ready("app", 2);
        assertThat(images.newestRunnable("app").orElseThrow().version()).isEqualTo(2);

        images.deleteVersion("app", 2);

        assertThat(images.version("app", 2)).isEmpty();
        assertThat(images.newestRunnable("app").orElseThrow().version()).isEqualTo(1);
    }

    @Test
    void aDeletedImageHasNoVersionsAtTheNextLookup() throws Exception {
        ready("app", 1);
        assertThat(images.versions("app")).hasSize(1);

        images.delete("app");

        assertThat(images.versions("app")).isEmpty();
        assertThat(images.newestRunnable("app")).isEmpty();
    }

    @Test
    void aRebuiltVersionRowIsSeenByTheNextLookup() throws Exception {
        ImageVersion v = ready("app", 1);
        assertThat(images.version("app", 1).orElseThrow().templateDir()).isEqualTo(v.templateDir());
        CachingImageStore cached = new CachingImageStore(store);
        assertThat(cached.version("app", 1)).isPresent();

        Path rebuilt = Files.createDirectories(dataDir.resolve("rebuilt"));
        cached.update(v.withBuild(v.settings(), v.entrypoint(), Map.of("boot", 1L), rebuilt)); // what a build's store.update does

        assertThat(cached.version("app", 1).orElseThrow().templateDir()).isEqualTo(rebuilt);
    }

    @Test
    void aReadThatStartedBeforeAWriteDoesNotPutTheOlderListBack() throws Exception {
        ready("app", 1);
        CachingImageStore cached = new CachingImageStore(store);
        store.readTaken = new CountDownLatch(1);
        store.readMayFinish = new CountDownLatch(1);
        CountDownLatch taken = store.readTaken;
        CompletableFuture<List<ImageVersion>> slow = CompletableFuture.supplyAsync(() -> cached.versions("app"));
        assertThat(taken.await(10, TimeUnit.SECONDS)).isTrue();

        ImageVersion one = store.rows.version("app", 1).orElseThrow();
        cached.update(new ImageVersion("app", 1, one.state(), one.stateReason(), false, one.settings(), one.source(), one.createdAt(),
                Instant.now(), one.entrypoint(), one.phasesMillis(), one.templateDir(), one.buildLog()));
        store.readMayFinish.countDown();

        assertThat(slow.get(10, TimeUnit.SECONDS).getFirst().active()).as("the slow read saw the row before the write").isTrue();
        assertThat(cached.versions("app").getFirst().active()).as("and did not keep it").isFalse();
    }

    @Test
    void aNameWithoutVersionsIsNotKept() {
        assertThat(images.versions("nothing")).isEmpty();
        assertThat(images.versions("nothing")).isEmpty();
        assertThat(store.versionReads).hasValue(2);
    }

    @Test
    void aTemplateManifestIsParsedOnceAndReadAgainWhenRewritten() throws Exception {
        ImageVersion v = ready("app", 1);
        Template first = images.template(v);
        assertThat(images.template(v)).isSameAs(first);

        Template changed = new Template("changed", new MachineSpec(2, 1024), PROFILE, Instant.EPOCH, "memory", "state", "disk.qcow2",
                "overlay.qcow2", null, null, v.templateDir());
        changed.save();
        Files.setLastModifiedTime(v.templateDir().resolve(Template.MANIFEST), FileTime.from(Instant.now().plusSeconds(5)));

        Template again = images.template(v);
        assertThat(again.id()).isEqualTo("changed");
        assertThat(again.machine().memoryMiB()).isEqualTo(1024);
    }

    /** A READY version with a template manifest of its own. */
    private ImageVersion ready(String image, int number) throws IOException {
        Path dir = Files.createDirectories(dataDir.resolve("images").resolve(image).resolve(Integer.toString(number)));
        Path template = Files.createDirectories(dir.resolve("template"));
        new Template(image + number, new MachineSpec(1, 512), PROFILE, Instant.EPOCH, "memory", "state", "disk.qcow2",
                "overlay.qcow2", null, null, template).save();
        Instant now = Instant.now();
        ImageVersion v = new ImageVersion(image, number, VersionState.READY, null, true, BuildSettings.NONE.withDefaults(), "path:x",
                now, now, EntrypointStatus.NONE, Map.of(), template, dir.resolve("build.log"));
        if (number == 1) {
            store.createImage(v);
        } else {
            store.addVersion(v);
        }
        return v;
    }
}
