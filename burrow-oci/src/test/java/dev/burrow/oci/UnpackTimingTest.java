package dev.burrow.oci;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/** Unpacks a ~100 MB tree of 2000 files. Run with -Dburrow.perf=true. */
@Tag("slow")
@EnabledIfSystemProperty(named = "burrow.perf", matches = "true")
class UnpackTimingTest {
    @TempDir
    Path tmp;

    @Test
    void unpackAHundredMegabytes() throws Exception {
        Random random = new Random(3);
        List<List<TarEntrySpec>> layers = new ArrayList<>();
        for (int l = 0; l < 4; l++) {
            List<TarEntrySpec> entries = new ArrayList<>();
            entries.add(TarEntrySpec.dir("d" + l));
            for (int i = 0; i < 500; i++) {
                byte[] b = new byte[50 * 1024];
                // half random (incompressible), half text-like
                for (int j = 0; j < b.length; j++) {
                    b[j] = j % 2 == 0 ? (byte) random.nextInt() : (byte) ('a' + j % 26);
                }
                entries.add(TarEntrySpec.file("d" + l + "/f" + i, b));
            }
            layers.add(entries);
        }
        Path image = tmp.resolve("image");
        OciLayoutWriter w = new OciLayoutWriter(ImageConfig.EMPTY);
        layers.forEach(w::addLayer);
        long t0 = System.nanoTime();
        w.writeLayout(image);
        long t1 = System.nanoTime();
        ImageUnpacker.Result r = Fixtures.unpack(image, tmp, tmp.resolve("staging"));
        long t2 = System.nanoTime();
        Ext4Image.Result disk = Ext4Image.build(tmp.resolve("staging"), tmp.resolve("disk.ext4"), 256);
        System.out.printf("write layout %d ms; unpack %d bytes in %d ms (resolve %d ms); mkfs %d ms, used %d bytes%n",
                (t1 - t0) / 1_000_000, r.bytesWritten(), (t2 - t1) / 1_000_000, r.resolveTime().toMillis(),
                disk.took().toMillis(), disk.usedBytes());
        assertThat(r.bytesWritten()).isEqualTo(4L * 500 * 50 * 1024);
    }
}
