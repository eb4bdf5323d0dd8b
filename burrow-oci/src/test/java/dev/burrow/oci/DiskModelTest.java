package dev.burrow.oci;

import static dev.burrow.oci.TarEntrySpec.dir;
import static dev.burrow.oci.TarEntrySpec.file;
import static dev.burrow.oci.TarEntrySpec.hardlink;
import static dev.burrow.oci.TarEntrySpec.symlink;
import static dev.burrow.oci.TarEntrySpec.whiteout;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The unpacker's ext4 cost model against what mkfs.ext4 really uses, on a 1 GiB disk. */
class DiskModelTest {
    private static final long MIB = 1024 * 1024;
    private static final UnpackLimits GIB = new UnpackLimits(1024);

    @TempDir
    Path tmp;

    /** Non-zero content: mkfs.ext4 -d leaves all-zero blocks as holes, which the model (rightly) does not assume. */
    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) 'b');
        return b;
    }

    /** Blocks mkfs itself takes on an empty 1 GiB disk: what the model's metadata share must cover. */
    private long emptyDiskUsed() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        return Ext4Image.build(empty, tmp.resolve("empty.ext4"), GIB.diskMiB()).usedBytes();
    }

    @Test
    void theModelCountsWhatMkfsUsesForAMixedTreeWithinAFewPercent() throws IOException {
        List<TarEntrySpec> lower = new ArrayList<>();
        List<TarEntrySpec> upper = new ArrayList<>();
        for (int d = 0; d < 40; d++) {
            lower.add(dir("d" + d));
            for (int f = 0; f < 50; f++) {
                lower.add(file("d" + d + "/f" + f, bytes((d * 50 + f) * 37 % 20_000)));
            }
            lower.add(symlink("d" + d + "/short", "f1"));
            lower.add(symlink("d" + d + "/long", "/" + "x".repeat(100) + d));
            lower.add(hardlink("d" + d + "/hard", "d" + d + "/f2"));
        }
        lower.add(file("big", bytes((int) (8 * MIB))));
        for (int d = 0; d < 10; d++) {
            upper.add(whiteout("d" + d)); // removed trees must be given back
        }
        Path image = Fixtures.layout(tmp.resolve("image"), lower, upper);
        Path staging = tmp.resolve("staging");
        LayerUnpacker unpacker = new LayerUnpacker(staging, message -> { }, GIB);
        ImageSource source = ImageSource.open(image, new BlobStore(tmp.resolve("store")));
        for (Layer l : source.resolve().layers()) {
            try (var in = source.openLayer(l)) {
                unpacker.apply(l, in);
            }
        }
        unpacker.finish();

        long tree = Ext4Image.build(staging, tmp.resolve("disk.ext4"), GIB.diskMiB()).usedBytes() - emptyDiskUsed();

        assertThat(unpacker.diskBytes()).as("model vs mkfs (%d bytes)", tree).isPositive()
                .isGreaterThanOrEqualTo(tree * 95 / 100).isLessThanOrEqualTo(tree * 110 / 100);
        assertThat(GIB.capacityBytes()).isLessThanOrEqualTo(GIB.diskMiB() * MIB - emptyDiskUsed());
    }
}
