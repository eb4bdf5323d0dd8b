package dev.burrow.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.BuildLog;
import dev.burrow.oci.Ext4Image;
import dev.burrow.oci.ImageSource;
import dev.burrow.oci.ImageUnpacker;
import dev.burrow.oci.LayerUnpacker;
import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.agent.GuestLayers;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.testing.EngineFixture;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the layer builtins cost on a real image's root: the Debian python demo image (its OCI
 * layout from the image cache, {@code -Dburrow.bench.image=<layout>}) unpacked to an ext4 disk and
 * booted cold; then mark, a RUN-like change, diff, and a diff of no change. A measurement, not a
 * check: run it on purpose with {@code -Dburrow.bench=layers} (docs/adr/0023-layers-in-the-guest.md
 * has its figures).
 */
@EnabledIfSystemProperty(named = "burrow.bench", matches = "layers")
class GuestLayersBench {

    private static final Duration T = Duration.ofMinutes(5);
    private static final String IMAGE = System.getProperty("burrow.bench.image",
            "/var/cache/burrow/images/debian-python-bookworm-r1-27f28161");
    private static final int ROUNDS = Integer.getInteger("burrow.bench.rounds", 3);

    @TempDir
    Path tmp;

    @Test
    void markAndDiffOnTheDebianPythonRoot() throws Exception {
        EngineFixture fx = EngineFixture.get();
        Path staging = tmp.resolve("staging");
        new ImageUnpacker().unpack(ImageSource.open(Path.of(IMAGE), new BlobStore(tmp.resolve("blobs"))), staging, BuildLog.NONE);
        Path disk = Ext4Image.build(staging, tmp.resolve("root.ext4"), 2048).disk();
        LayerUnpacker.discard(staging);
        try (MicroVm vm = fx.engine.boot("layers-bench", MachineSpec.DEFAULT, disk, Identity.fresh("layers-bench"))) {
            AgentConnection agent = vm.agent();
            for (int round = 0; round < ROUNDS; round++) {
                long t0 = System.nanoTime();
                long entries = GuestLayers.mark(agent, T);
                long markMs = ms(t0);
                String gone = round == 0 ? "/usr/lib/python3.11/pydoc_data" : "/opt/json-" + (round - 1);
                ExecResult run = agent.run(ExecRequest.of("sh", "-c", "cp -a /usr/lib/python3.11/json /opt/json-" + round
                        + " && rm -r " + gone + " && echo x >> /etc/motd"), T);
                assertThat(run.exitCode()).as(run.stderrText()).isZero();
                long t1 = System.nanoTime();
                GuestLayers.DiffStats changed = GuestLayers.diff(agent, OutputStream.nullOutputStream(), T);
                long diffMs = ms(t1);
                GuestLayers.mark(agent, T);
                long t2 = System.nanoTime();
                GuestLayers.DiffStats none = GuestLayers.diff(agent, OutputStream.nullOutputStream(), T);
                long noneMs = ms(t2);
                System.out.printf("layers round %d: mark %d entries %d ms | diff of a change %d ms (%d entries, %d whiteouts, %d bytes)"
                                + " | diff of no change %d ms (%d bytes)%n", round, entries, markMs, diffMs, changed.entries(),
                        changed.whiteouts(), changed.bytes(), noneMs, none.bytes());
            }
        } finally {
            Files.deleteIfExists(disk);
        }
    }

    private static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }
}
