package dev.burrow.daemon.space;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.images.BlobReferences;
import dev.burrow.daemon.images.ImageRecord;
import dev.burrow.daemon.images.VersionState;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import dev.burrow.oci.MediaTypes;
import dev.burrow.vmm.internal.FileTrees;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The collector on a data directory of plain files: rows and references are lists, the clock is fixed. */
class SpaceServiceTest {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    private Path dataDir;
    private BlobStore store;
    private final FakeReferrers rows = new FakeReferrers();
    private SpaceService space;

    @BeforeEach
    void setUp() throws IOException {
        dataDir = Files.createTempDirectory("space-test-");
        store = new BlobStore(Files.createDirectories(dataDir.resolve("blobs")));
        space = new SpaceService(dataDir, store, rows, SpaceSettings.DEFAULTS, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @AfterEach
    void tearDown() {
        FileTrees.deleteQuietly(dataDir);
    }

    @Test
    void aBlobNoVersionNamesIsFreedAndEveryBlobOfAVersionsImageIsKept() throws Exception {
        Image img = image("t1", "app", 1, VersionState.READY, "layer one");
        Digest stray = store.put("nobody's layer".getBytes(StandardCharsets.UTF_8));

        PruneReport r = space.prune();

        assertThat(store.contains(stray)).isFalse();
        assertThat(img.blobs()).allMatch(store::contains);
        assertThat(r.freed().get(Category.BLOBS).count()).isEqualTo(1);
        assertThat(r.deferred()).isEmpty();
    }

    @Test
    void aFailedVersionLosesItsDiskTemplateAndBlobsButKeepsItsBuildLog() throws Exception {
        Image img = image("t1", "app", 1, VersionState.FAILED, "layer");
        Path dir = img.row().dir();
        Files.write(dir.resolve("rootfs.ext4"), new byte[8192]);
        Files.createDirectories(dir.resolve("template"));
        Files.write(dir.resolve("template/memory"), new byte[4096]);
        Files.createDirectories(dir.resolve("staging/etc"));

        PruneReport r = space.prune();

        assertThat(dir.resolve("rootfs.ext4")).doesNotExist();
        assertThat(dir.resolve("template")).doesNotExist();
        assertThat(dir.resolve("staging")).doesNotExist();
        assertThat(dir.resolve("build.log")).exists();
        assertThat(img.blobs()).noneMatch(store::contains);
        assertThat(r.freed().get(Category.VERSION_DISKS).count()).isEqualTo(1);
        assertThat(r.freed().get(Category.TEMPLATES).count()).isEqualTo(1);
    }

    @Test
    void aVersionDirectoryWithoutARowGoesExceptATemplateAnotherVersionRunsFrom() throws Exception {
        Path orphan = versionDir("t1", "gone", 1);
        Files.write(orphan.resolve("rootfs.ext4"), new byte[4096]);
        Files.createDirectories(orphan.resolve("template"));
        Files.writeString(orphan.resolve("build.log"), "old\n");
        Path shared = versionDir("t1", "app", 1);
        Files.write(shared.resolve("rootfs.ext4"), new byte[4096]);
        Files.createDirectories(shared.resolve("template"));
        Files.writeString(shared.resolve("build.log"), "v1\n");
        Path v2 = versionDir("t1", "app", 2);
        Files.writeString(v2.resolve("build.log"), "v2\n");
        // version 1 was deleted; version 2 reuses its template (an unchanged rebuild)
        rows.versions.add(new VersionRow("t1", "app", 2, VersionState.READY, v2, shared.resolve("template"), "path:x"));

        space.prune();

        assertThat(dataDir.resolve("tenants/t1/images/gone")).doesNotExist();
        assertThat(shared.resolve("template")).exists();
        assertThat(shared.resolve("rootfs.ext4")).as("the template's qcow2 layers are backed by it").exists();
        assertThat(shared.resolve("build.log")).doesNotExist();
        assertThat(v2.resolve("build.log")).exists();
    }

    @Test
    void aBuildingVersionsFilesAreAllKept() throws Exception {
        Path dir = versionDir("t1", "app", 1);
        Files.createDirectories(dir.resolve("staging/bin"));
        Files.createDirectories(dir.resolve("source"));
        Files.write(dir.resolve("rootfs.ext4"), new byte[4096]);
        rows.versions.add(new VersionRow("t1", "app", 1, VersionState.BUILDING, dir, null, "path:x"));

        space.prune();

        assertThat(dir.resolve("staging/bin")).isDirectory();
        assertThat(dir.resolve("source")).isDirectory();
        assertThat(dir.resolve("rootfs.ext4")).exists();
    }

    @Test
    void uploadsGoWhenExpiredOrConsumedByFinishedBuildsAndStayWhileABuildReadsThem() throws Exception {
        UploadRow fresh = upload("t1", "upfresh", NOW.plusSeconds(3600));
        UploadRow expired = upload("t1", "upold", NOW.minusSeconds(1));
        UploadRow consumed = upload("t1", "upused", NOW.plusSeconds(3600));
        UploadRow reading = upload("t1", "upreading", NOW.minusSeconds(1));
        rows.versions.add(new VersionRow("t1", "a", 1, VersionState.READY, versionDir("t1", "a", 1), null, "path:uploads/upused (oci-archive)"));
        rows.versions.add(new VersionRow("t1", "b", 1, VersionState.BUILDING, versionDir("t1", "b", 1), null, "path:uploads/upreading"));
        Path abandoned = Files.write(dataDir.resolve("uploads/upabandoned"), new byte[10]);
        Files.setLastModifiedTime(abandoned, FileTime.from(NOW.minus(Duration.ofMinutes(11))));
        Path uploading = Files.write(dataDir.resolve("uploads/upuploading"), new byte[10]);
        Files.setLastModifiedTime(uploading, FileTime.from(NOW.minus(Duration.ofMinutes(1))));

        PruneReport r = space.prune();

        assertThat(fresh.path()).exists();
        assertThat(expired.path()).doesNotExist();
        assertThat(consumed.path()).doesNotExist();
        assertThat(reading.path()).as("a build still reads it, expired or not").exists();
        assertThat(abandoned).doesNotExist();
        assertThat(uploading).exists();
        assertThat(rows.uploads).containsExactlyInAnyOrder(fresh, reading);
        assertThat(r.freed().get(Category.UPLOADS).count()).isEqualTo(3);
    }

    @Test
    void anUploadABuildWasStartedFromGoesOnceThatVersionIsDeletedWithItsImage() throws Exception {
        UploadRow used = upload("t1", "upused", NOW.plusSeconds(3600));
        rows.uploads.remove(used);
        UploadRow marked = new UploadRow("t1", "upused", used.path(), used.expiresAt(), NOW.minusSeconds(60));
        rows.uploads.add(marked);
        UploadRow unused = upload("t1", "upunused", NOW.plusSeconds(3600));

        space.prune();

        assertThat(marked.path()).doesNotExist();
        assertThat(unused.path()).exists();
        assertThat(rows.uploads).containsExactly(unused);
    }

    @Test
    void temporaryFilesGoOnlyOnceUntouchedForTheirAge() throws Exception {
        Path oldTmp = aged(Files.createDirectories(dataDir.resolve("tmp/debootstrap-1")), Duration.ofHours(2));
        Path busyTmp = aged(Files.createDirectories(dataDir.resolve("tmp/debootstrap-2")), Duration.ofHours(2));
        Files.write(busyTmp.resolve("still-writing"), new byte[1]);
        aged(busyTmp.resolve("still-writing"), Duration.ofMinutes(1));
        Path oldPart = aged(Files.write(store.root().resolve("tmp/x.part"), new byte[1]), Duration.ofHours(2));
        Path partial = Files.createDirectories(store.root().resolve("partial"));
        Path resumable = aged(Files.write(partial.resolve("abc"), new byte[1]), Duration.ofHours(20));
        Path stale = aged(Files.write(partial.resolve("def"), new byte[1]), Duration.ofHours(25));

        space.prune();

        assertThat(oldTmp).doesNotExist();
        assertThat(busyTmp).exists();
        assertThat(oldPart).doesNotExist();
        assertThat(resumable).exists();
        assertThat(stale).doesNotExist();
    }

    @Test
    void thePerTenantStoresOfAnOlderDataDirectoryAreReclaimable() throws Exception {
        BlobStore legacy = new BlobStore(Files.createDirectories(dataDir.resolve("tenants/t1/blobs")));
        legacy.put(new byte[5000]);

        SpaceReport df = space.df();
        PruneReport r = space.prune();

        assertThat(df.categories().get(Category.LEGACY_STORES).reclaimableBytes()).isGreaterThanOrEqualTo(5000);
        assertThat(dataDir.resolve("tenants/t1/blobs")).doesNotExist();
        assertThat(r.freed().get(Category.LEGACY_STORES).bytes()).isEqualTo(df.categories().get(Category.LEGACY_STORES).bytes());
    }

    @Test
    void sizesAreAllocatedBytesSoASparseMemoryFileCountsWhatItHolds() throws Exception {
        Path dir = versionDir("t1", "app", 1);
        Files.createDirectories(dir.resolve("template"));
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("template/memory").toFile(), "rw")) {
            f.setLength(256L * 1024 * 1024);
            f.write(new byte[64 * 1024]);
        }
        rows.versions.add(new VersionRow("t1", "app", 1, VersionState.READY, dir, dir.resolve("template"), "path:x"));

        Usage templates = space.df().categories().get(Category.TEMPLATES);

        assertThat(templates.count()).isEqualTo(1);
        assertThat(templates.bytes()).isBetween(64L * 1024, 1024L * 1024);
        assertThat(templates.reclaimableBytes()).isZero();
    }

    @Test
    void dfPredictsWhatAPruneFreesAndTheCategoriesAddUpToTheWholeTree() throws Exception {
        image("t1", "app", 1, VersionState.READY, "kept");
        store.put(new byte[20000]);
        Path orphan = versionDir("t1", "gone", 3);
        Files.write(orphan.resolve("rootfs.ext4"), new byte[12288]);
        upload("t1", "upold", NOW.minusSeconds(5));

        SpaceReport df = space.df();
        PruneReport r = space.prune();
        SpaceReport after = space.df();

        assertThat(r.totalBytes()).isEqualTo(df.reclaimableBytes()).isPositive();
        assertThat(df.categories().values().stream().mapToLong(Usage::bytes).sum()).isEqualTo(df.totalBytes());
        assertThat(after.reclaimableBytes()).isZero();
        assertThat(after.totalBytes()).isLessThan(df.totalBytes());
    }

    @Test
    void aPruneMakesTheBuildCacheForgetAndKeepsWhatItStillNames() throws Exception {
        Digest cached = store.put("cached layer".getBytes(StandardCharsets.UTF_8));
        Digest pinned = store.put("pinned layer".getBytes(StandardCharsets.UTF_8));
        Set<Digest> cache = new HashSet<>(Set.of(cached, pinned));
        space.register(new BlobReferences() {
            @Override
            public Set<Digest> referenced() {
                return Set.copyOf(cache);
            }

            @Override
            public int forget() {
                cache.remove(cached); // pinned: a build in progress uses it
                return 1;
            }
        });

        SpaceReport df = space.df();
        PruneReport r = space.prune();

        assertThat(df.categories().get(Category.BUILD_CACHE).count()).isEqualTo(2);
        assertThat(store.contains(cached)).isFalse();
        assertThat(store.contains(pinned)).isTrue();
        assertThat(r.cacheEntriesForgotten()).isEqualTo(1);
        assertThat(r.freed().get(Category.BUILD_CACHE).count()).isEqualTo(1);
    }

    @Test
    void anUnreadableImageRecordKeepsEveryBlob() throws Exception {
        Image img = image("t1", "app", 1, VersionState.READY, "layer");
        Files.delete(store.path(img.manifest()));
        Digest stray = store.put("stray".getBytes(StandardCharsets.UTF_8));

        PruneReport r = space.prune();

        assertThat(store.contains(stray)).isTrue();
        assertThat(r.deferred()).singleElement().asString().contains("image record could not be read");
    }

    @Test
    void whatACrashedPruneLeftInTheTrashIsEmptiedByTheNext() throws Exception {
        Path left = Files.createDirectories(dataDir.resolve("trash/17-template"));
        Files.write(left.resolve("memory"), new byte[4096]);

        assertThat(space.df().categories().get(Category.TEMPORARY).reclaimableCount()).isEqualTo(1);
        space.prune();

        assertThat(left).doesNotExist();
    }

    @Test
    void aPruneRacingBuildsNeverDeletesABlobABuildIsResolvingOrHasRecorded() throws Exception {
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Image> built = new CopyOnWriteArrayList<>();
        int builds = 40;
        Thread pruner = Thread.ofPlatform().start(() -> {
            try {
                while (built.size() < builds && failures.isEmpty()) {
                    space.prune();
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        for (int i = 1; i <= builds && failures.isEmpty(); i++) {
            // a build: under the gate it puts (or finds) its blobs, writes its record, then its row says READY
            // the row first, then the directory, as ImageService does: a prune lists the disk before it reads the rows
            Path dir = dataDir.resolve("tenants/t1/images/app").resolve(Integer.toString(i));
            VersionRow row = new VersionRow("t1", "app", i, VersionState.BUILDING, dir, null, "path:x");
            rows.versions.add(row);
            Files.createDirectories(dir);
            space.gate().resolving().lock();
            try {
                Digest layer = store.put(("shared layer " + (i % 3)).getBytes(StandardCharsets.UTF_8));
                Digest config = store.put(("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8));
                assertThat(store.contains(layer)).isTrue();
                Digest manifest = store.put(manifestJson(config, layer));
                ImageRecord.write(dir, new Descriptor(MediaTypes.OCI_MANIFEST, manifest, store.size(manifest)));
                built.add(new Image(row, manifest, List.of(manifest, config, layer)));
            } finally {
                space.gate().resolving().unlock();
            }
            rows.versions.add(new VersionRow("t1", "app", i, VersionState.READY, dir, null, "path:x"));
            rows.versions.remove(row); // one row update in the database: never no row at all
        }
        pruner.join(Duration.ofMinutes(1));
        assertThat(pruner.isAlive()).isFalse();
        assertThat(failures).isEmpty();
        space.prune();
        for (Image img : built) {
            assertThat(img.blobs()).as("blobs of %s", img.row().version()).allMatch(store::contains);
        }
    }

    @Test
    @Tag("hostile")
    void symlinksInGarbageAreRemovedAsLinksAndWhatTheyPointAtOutsideIsUntouched() throws Exception {
        Path outside = Files.createTempDirectory("space-outside-");
        try {
            Path precious = Files.writeString(outside.resolve("precious"), "keep me");
            Path orphan = versionDir("t1", "gone", 1);
            Files.createSymbolicLink(orphan.resolve("template"), outside);
            Files.createSymbolicLink(orphan.resolve("rootfs.ext4"), precious);
            Path tmpLink = Files.createDirectories(dataDir.resolve("tmp")).resolve("link");
            Files.createSymbolicLink(tmpLink, outside);
            FileTime old = FileTime.from(NOW.minus(Duration.ofHours(2)));
            Files.getFileAttributeView(tmpLink, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(old, old, old);
            Path notABlob = Files.writeString(store.root().resolve("sha256/not-a-digest"), "left alone");

            SpaceReport df = space.df();
            space.prune();

            assertThat(df.categories().get(Category.TEMPLATES).bytes()).as("a link's own size, not its target's").isLessThan(8192);
            assertThat(precious).hasContent("keep me");
            assertThat(orphan).doesNotExist();
            assertThat(tmpLink).doesNotExist();
            assertThat(outside).isDirectory();
            assertThat(notABlob).exists();
        } finally {
            FileTrees.deleteQuietly(outside);
        }
    }

    // --- fixtures

    private record Image(VersionRow row, Digest manifest, List<Digest> blobs) {}

    /** A version whose image (manifest, config, one layer) is in the store and named by its image.json. */
    private Image image(String tenant, String name, int version, VersionState state, String layerText) throws IOException {
        Path dir = versionDir(tenant, name, version);
        Files.writeString(dir.resolve("build.log"), "log\n");
        Digest layer = store.put(layerText.getBytes(StandardCharsets.UTF_8));
        Digest config = store.put(("{\"image\":\"" + name + version + "\"}").getBytes(StandardCharsets.UTF_8));
        Digest manifest = store.put(manifestJson(config, layer));
        ImageRecord.write(dir, new Descriptor(MediaTypes.OCI_MANIFEST, manifest, store.size(manifest)));
        VersionRow row = new VersionRow(tenant, name, version, state, dir,
                state == VersionState.READY ? dir.resolve("template") : null, "path:x");
        rows.versions.add(row);
        return new Image(row, manifest, List.of(manifest, config, layer));
    }

    private static byte[] manifestJson(Digest config, Digest layer) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG
                + "\",\"digest\":\"" + config + "\",\"size\":1},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER
                + "\",\"digest\":\"" + layer + "\",\"size\":1}]}").getBytes(StandardCharsets.UTF_8);
    }

    private Path versionDir(String tenant, String name, int version) throws IOException {
        return Files.createDirectories(dataDir.resolve("tenants").resolve(tenant).resolve("images").resolve(name)
                .resolve(Integer.toString(version)));
    }

    private UploadRow upload(String tenant, String id, Instant expires) throws IOException {
        Path f = Files.write(Files.createDirectories(dataDir.resolve("uploads")).resolve(id), new byte[100]);
        UploadRow u = new UploadRow(tenant, id, f, expires, null);
        rows.uploads.add(u);
        return u;
    }

    private static Path aged(Path p, Duration age) throws IOException {
        Files.setLastModifiedTime(p, FileTime.from(NOW.minus(age)));
        return p;
    }

    /** Rows in lists; {@link #forgetUpload} removes from its list as the database would. */
    private static final class FakeReferrers implements Referrers {
        final List<VersionRow> versions = new CopyOnWriteArrayList<>();
        final List<UploadRow> uploads = new CopyOnWriteArrayList<>();

        @Override
        public List<VersionRow> versions() {
            return new ArrayList<>(versions);
        }

        @Override
        public List<UploadRow> uploads() {
            return new ArrayList<>(uploads);
        }

        @Override
        public boolean forgetUpload(UploadRow upload) {
            return uploads.remove(upload);
        }
    }
}
