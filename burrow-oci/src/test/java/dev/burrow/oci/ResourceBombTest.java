package dev.burrow.oci;

import static dev.burrow.oci.BombLayouts.data;
import static dev.burrow.oci.BombLayouts.end;
import static dev.burrow.oci.BombLayouts.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images built to exhaust memory, disk or CPU (issue 7). Each must fail with a message naming the
 * limit, leave nothing in staging, and keep the heap bounded: the module's tests run with
 * {@code -Xmx256m}, and the heap in use after a GC may grow by at most {@link #HEAP_GROWTH_LIMIT}.
 * The big inputs are streamed through a compressor to disk, never built in memory.
 */
@Tag("hostile")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResourceBombTest {
    private static final long MIB = 1024 * 1024;
    private static final long HEAP_GROWTH_LIMIT = 32 * MIB;
    private static final long HUGE_HEADER = 300 * MIB;

    @TempDir
    Path tmp;
    Path layout;
    Path staging;
    BlobStore store;
    long heapBefore;
    final List<String> warnings = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        layout = Files.createDirectories(tmp.resolve("layout"));
        staging = tmp.resolve("build/staging");
        store = new BlobStore(tmp.resolve("store"));
        heapBefore = usedHeapAfterGc();
    }

    @AfterEach
    void stagingIsGoneAndTheHeapStayedBounded(TestInfo test) {
        assertThat(staging).doesNotExist();
        long growth = usedHeapAfterGc() - heapBefore;
        System.out.printf("%s: used heap after GC %d KiB before, %+d KiB after (max heap %d MiB)%n",
                test.getDisplayName(), heapBefore / 1024, growth / 1024, Runtime.getRuntime().maxMemory() / MIB);
        assertThat(growth).as("heap growth after GC, bytes").isLessThan(HEAP_GROWTH_LIMIT);
    }

    private static long usedHeapAfterGc() {
        Runtime r = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return r.totalMemory() - r.freeMemory();
    }

    private ImageException unpackFails(Path image, UnpackLimits limits) {
        return catchThrowableOfType(ImageException.class,
                () -> new ImageUnpacker().unpack(ImageSource.open(image, store), staging, warnings::add, limits));
    }

    @Test
    void aGzipBombStopsTheMomentTheTreeOutgrowsTheDisk() throws IOException {
        Descriptor bomb = BombLayouts.layer(layout, Compression.GZIP, tar -> {
            tar.write(header("zeros", '0', 1024 * MIB));
            data(tar, 1024 * MIB, (byte) 0);
            end(tar);
        });
        assertThat(bomb.size()).as("compressed bytes").isLessThan(2 * MIB);

        ImageException e = unpackFails(BombLayouts.image(layout, List.of(bomb)), new UnpackLimits(64));

        assertThat(e).hasMessageContaining("the image's files need more than 64 MiB; raise resources.diskMiB (max 32768)");
    }

    @Test
    void aDiskAtTheLargestSizeSaysSoInsteadOfAskingForMore() {
        UnpackLimits largest = new UnpackLimits(UnpackLimits.MAX_DISK_MIB);

        assertThat(largest.raiseAdvice()).contains("largest disk").doesNotContain("raise");
        assertThat(new UnpackLimits(2048).raiseAdvice()).isEqualTo("raise resources.diskMiB (max 32768)");
    }

    @Test
    void aPaxHeaderOf300MegabytesIsRefusedBeforeItIsRead() throws IOException {
        Descriptor d = BombLayouts.layer(layout, Compression.ZSTD, tar -> {
            tar.write(header("PaxHeaders/big", 'x', HUGE_HEADER));
            paxRecord(tar, "path", HUGE_HEADER);
            tar.write(header("small", '0', 0));
            end(tar);
        });

        ImageException e = unpackFails(BombLayouts.image(layout, List.of(d)), UnpackLimits.DEFAULT);

        assertThat(e).hasMessageContaining("a PAX extended header of " + HUGE_HEADER + " bytes exceeds the limit of 1048576 bytes")
                .hasMessageContaining("layer " + d.digest());
    }

    @Test
    void aGnuLongNameOf300MegabytesIsRefusedBeforeItIsRead() throws IOException {
        Descriptor d = BombLayouts.layer(layout, Compression.ZSTD, tar -> {
            tar.write(header("././@LongLink", 'L', HUGE_HEADER));
            data(tar, HUGE_HEADER, (byte) 'a');
            tar.write(header("short", '0', 0));
            end(tar);
        });

        ImageException e = unpackFails(BombLayouts.image(layout, List.of(d)), UnpackLimits.DEFAULT);

        assertThat(e).hasMessageContaining("a GNU long name of " + HUGE_HEADER + " bytes exceeds the limit of 1048576 bytes");
    }

    @Test
    void aChainOfLongNamesIsCappedAsAWhole() throws IOException {
        long each = UnpackLimits.MAX_HEADER_BYTES - BombLayouts.RECORD;
        Descriptor d = BombLayouts.layer(layout, Compression.ZSTD, tar -> {
            for (int i = 0; i < 8; i++) {
                tar.write(header("././@LongLink", 'L', each));
                data(tar, each, (byte) 'b');
            }
            tar.write(header("short", '0', 0));
            end(tar);
        });

        ImageException e = unpackFails(BombLayouts.image(layout, List.of(d)), UnpackLimits.DEFAULT);

        assertThat(e).hasMessageContaining("the header records of one tar entry").hasMessageContaining(
                "exceed " + UnpackLimits.MAX_HEADER_CHAIN_BYTES + " bytes");
    }

    @Test
    void globalPaxHeadersThatTheReaderKeepsAreCappedInAll() throws IOException {
        long each = 600 * 1024;
        Descriptor d = BombLayouts.layer(layout, Compression.ZSTD, tar -> {
            for (int i = 0; i < 50; i++) {
                tar.write(header("GlobalHead." + i, 'g', each));
                paxRecord(tar, "comment.key" + i, each);
                tar.write(header("f" + i, '0', 0));
            }
            end(tar);
        });

        ImageException e = unpackFails(BombLayouts.image(layout, List.of(d)), UnpackLimits.DEFAULT);

        assertThat(e).hasMessageContaining("PAX global headers of " + 2 * each + " bytes in all exceed the limit of 1048576 bytes");
    }

    @Test
    void twoMillionEmptyFilesStopAtTheDisksInodes() throws IOException {
        Descriptor d = BombLayouts.layer(layout, Compression.ZSTD, tar -> {
            for (int i = 0; i < 2_000_000; i++) {
                tar.write(header(String.format("f/%07d", i), '0', 0));
            }
            end(tar);
        });
        assertThat(d.size()).as("compressed bytes").isLessThan(64 * MIB);
        UnpackLimits limits = new UnpackLimits(1024);

        ImageException e = unpackFails(BombLayouts.image(layout, List.of(d)), limits);

        assertThat(limits.inodes()).isEqualTo(65536 - 11);
        assertThat(e).hasMessageContaining("the image's files need more than the 65525 inodes of a 1024 MiB disk; "
                + "raise resources.diskMiB (max 32768)");
    }

    @Test
    void entriesBeyondTheDisksInodesAreRefusedEvenWhenTheyCreateNothing() throws IOException {
        Descriptor d = BombLayouts.layer(layout, Compression.ZSTD, tar -> {
            for (int i = 0; i < 20_000; i++) {
                tar.write(header(".wh.gone" + i, '0', 0));
            }
            end(tar);
        });

        ImageException e = unpackFails(BombLayouts.image(layout, List.of(d)), new UnpackLimits(64));

        assertThat(e).hasMessageContaining("the image has more than 16373 entries, as many as a 64 MiB disk has inodes; "
                + "raise resources.diskMiB (max 32768)");
    }

    @Test
    void aDirectoryNestedDeeperThanTheLimitIsRefused() throws IOException {
        String deep = "d/".repeat(300) + "f";
        Descriptor d = BombLayouts.layer(layout, Compression.NONE, tar -> {
            longName(tar, deep);
            tar.write(header("ignored", '0', 0));
            end(tar);
        });

        ImageException e = unpackFails(BombLayouts.image(layout, List.of(d)), UnpackLimits.DEFAULT);

        assertThat(e).hasMessageContaining("is more than 256 directories deep");
    }

    @Test
    void aNameLongerThanPathMaxIsRefused() throws IOException {
        String name = "n/".repeat(100) + "x".repeat(200) + "/" + "y".repeat(4000);
        Descriptor d = BombLayouts.layer(layout, Compression.NONE, tar -> {
            longName(tar, name);
            tar.write(header("ignored", '0', 0));
            end(tar);
        });

        ImageException e = unpackFails(BombLayouts.image(layout, List.of(d)), UnpackLimits.DEFAULT);

        assertThat(e).hasMessageContaining("an entry's name is " + name.length() + " bytes")
                .hasMessageContaining("the limit is 4096 bytes");
    }

    @Test
    void aFileNameLongerThan255BytesIsRefused() throws IOException {
        String name = "dir/" + "z".repeat(256);
        Descriptor d = BombLayouts.layer(layout, Compression.NONE, tar -> {
            longName(tar, name);
            tar.write(header("ignored", '0', 0));
            end(tar);
        });

        ImageException e = unpackFails(BombLayouts.image(layout, List.of(d)), UnpackLimits.DEFAULT);

        assertThat(e).hasMessageContaining("has a component of 256 bytes; a file name is at most 255 bytes");
    }

    @Test
    void aNestedIndexOf200By200By200IsExpandedOncePerDigest() throws IOException {
        Descriptor manifest = new OciLayoutWriter(ImageConfig.EMPTY).addLayer(List.of(TarEntrySpec.file("hello", "hi")))
                .writeBlobs(layout).withPlatform(Platform.LINUX_AMD64);
        Descriptor inner = index(Collections.nCopies(200, manifest));
        Descriptor middle = index(Collections.nCopies(200, inner));
        OciLayoutWriter.writeIndex(layout, Collections.nCopies(200, middle));

        ResolvedImage image = ImageSource.open(layout, store).resolve();

        assertThat(image.manifestDigest()).isEqualTo(manifest.digest());
        new ImageUnpacker().unpack(ImageSource.open(layout, store), staging, warnings::add);
        assertThat(staging.resolve("hello")).hasContent("hi");
        LayerUnpacker.discard(staging);
    }

    @Test
    void indexesListingMoreThanTheTotalCapAreRefused() throws IOException {
        Descriptor manifest = new OciLayoutWriter(ImageConfig.EMPTY).addLayer(List.of(TarEntrySpec.file("a", "a")))
                .writeBlobs(layout).withPlatform(new Platform("linux", "arm64", null));
        List<Descriptor> indexes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            List<Descriptor> list = new ArrayList<>(Collections.nCopies(1000, manifest));
            list.add(new Descriptor(MediaTypes.OCI_MANIFEST, new Digest("%064d".formatted(i)), 1,
                    new Platform("linux", "s390x", null)));
            indexes.add(index(list));
        }
        OciLayoutWriter.writeIndex(layout, indexes);

        ImageException e = catchThrowableOfType(ImageException.class, () -> ImageSource.open(layout, store).resolve());

        assertThat(e).hasMessageContaining("the image's indexes list more than 4096 manifests in all");
    }

    @Test
    void aCycleThroughTheSameDigestsIsRefusedByTheFirstDigestCheck() throws IOException {
        String a = "a".repeat(64);
        String b = "b".repeat(64);
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        byte[] listsB = OciLayoutWriter.indexJson(List.of(new Descriptor(MediaTypes.OCI_INDEX, new Digest(b), 0)));
        byte[] listsA = OciLayoutWriter.indexJson(List.of(new Descriptor(MediaTypes.OCI_INDEX, new Digest(a), 0)));
        Files.write(blobs.resolve(a), listsB);
        Files.write(blobs.resolve(b), listsA);
        OciLayoutWriter.writeIndex(layout, List.of(new Descriptor(MediaTypes.OCI_INDEX, new Digest(a), listsB.length)));

        ImageException e = catchThrowableOfType(ImageException.class, () -> ImageSource.open(layout, store).resolve());

        assertThat(e).hasMessageContaining("index sha256:" + a).hasMessageContaining("does not match its digest");
    }

    @Test
    void anArchiveWithA300MegabytePaxHeaderIsRefusedBeforeItIsRead() throws IOException {
        Path archive = tmp.resolve("image.tar.zst");
        try (OutputStream out = new com.github.luben.zstd.ZstdOutputStream(Files.newOutputStream(archive), 1)) {
            out.write(header("PaxHeaders/index.json", 'x', HUGE_HEADER));
            paxRecord(out, "path", HUGE_HEADER);
            out.write(header("index.json", '0', 0));
            end(out);
        }

        ImageException e;
        try (InputStream in = Files.newInputStream(archive)) {
            e = catchThrowableOfType(ImageException.class, () -> ImageSource.open(in, ImageFormat.OCI_ARCHIVE, store));
        }

        assertThat(e).hasMessageContaining("a PAX extended header of " + HUGE_HEADER + " bytes exceeds the limit");
    }

    private Descriptor index(List<Descriptor> entries) throws IOException {
        byte[] json = OciLayoutWriter.indexJson(entries);
        return new Descriptor(MediaTypes.OCI_INDEX, OciLayoutWriter.writeBlob(layout, json), json.length);
    }

    /** One PAX record {@code "<len> key=aaaa…\n"} of exactly {@code total} bytes, then padding. */
    private static void paxRecord(OutputStream tar, String key, long total) throws IOException {
        String prefix = total + " " + key + "=";
        tar.write(prefix.getBytes(StandardCharsets.US_ASCII));
        long value = total - prefix.length() - 1;
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'a');
        for (long left = value; left > 0; left -= chunk.length) {
            tar.write(chunk, 0, (int) Math.min(left, chunk.length));
        }
        tar.write('\n');
        tar.write(new byte[(int) ((BombLayouts.RECORD - total % BombLayouts.RECORD) % BombLayouts.RECORD)]);
    }

    private static void longName(OutputStream tar, String name) throws IOException {
        byte[] bytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
        tar.write(header("././@LongLink", 'L', bytes.length));
        tar.write(bytes);
        tar.write(new byte[(BombLayouts.RECORD - bytes.length % BombLayouts.RECORD) % BombLayouts.RECORD]);
    }
}
