package dev.burrow.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.BuildLog;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.oci.TarEntrySpec;
import dev.burrow.oci.registry.testing.TestRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/** Pulls 64 MiB in 4 incompressible layers from the real registry, cold then cached. Run with -Dburrow.perf=true. */
@Tag("slow")
@EnabledIfSystemProperty(named = "burrow.perf", matches = "true")
class RegistryPullTimingTest {
    private static final int LAYERS = 4;
    private static final int LAYER_BYTES = 16 * 1024 * 1024;

    @TempDir
    Path tmp;

    @Test
    void pullSixtyFourMegabytesColdThenCached() throws Exception {
        Random random = new Random(5);
        OciLayoutWriter w = new OciLayoutWriter(ImageConfig.EMPTY);
        for (int l = 0; l < LAYERS; l++) {
            byte[] b = new byte[LAYER_BYTES];
            random.nextBytes(b);
            w.addLayer(List.of(TarEntrySpec.file("f" + l, b)));
        }
        w.writeLayout(tmp.resolve("img"));
        try (TestRegistry registry = TestRegistry.anonymous()) {
            registry.push("perf/app", "v1", tmp.resolve("img"));
            ImageReference ref = ImageReference.parse(registry.host() + "/perf/app:v1");
            RegistryClient client = new RegistryClient(RegistrySettings.defaults());
            BlobStore store = new BlobStore(tmp.resolve("store"));
            long t0 = System.nanoTime();
            PulledImage cold = client.pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE);
            long t1 = System.nanoTime();
            PulledImage warm = client.pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE);
            long t2 = System.nanoTime();
            double coldMs = (t1 - t0) / 1e6;
            System.out.printf("cold pull %d bytes in %.0f ms (%.1f MB/s); cached pull %.0f ms, %d bytes fetched%n",
                    cold.bytesFetched(), coldMs, cold.bytesFetched() / 1e6 / (coldMs / 1e3), (t2 - t1) / 1e6,
                    warm.bytesFetched());
            assertThat(cold.bytesFetched()).isGreaterThan((long) LAYERS * LAYER_BYTES);
            assertThat(warm.bytesFetched()).isZero();
        }
    }
}
