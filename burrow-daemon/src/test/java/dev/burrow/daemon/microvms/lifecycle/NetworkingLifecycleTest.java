package dev.burrow.daemon.microvms.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.microvms.EngineFailure;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.vmm.net.NetworkSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The egress services follow a networked microVM through run, suspend, resume, fork, adoption and its end. */
class NetworkingLifecycleTest {

    private static final String INTERNET = "{\"egress\":\"internet\"}";

    @TempDir
    Path dir;
    Fixture f;
    final RecordingNetworking net = new RecordingNetworking();
    final AtomicInteger ids = new AtomicInteger();

    /** Networking that records what the lifecycle asks of it, in order; {@code failOpen} makes opens throw. */
    static final class RecordingNetworking implements Networking {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        volatile boolean failOpen;

        @Override
        public NetworkSpec spec(String network) {
            return network.contains("internet") ? new NetworkSpec(NetworkSpec.Mode.INTERNET, 1, 2, 3, List.of("10.0.0.0/8"))
                    : NetworkSpec.NONE;
        }

        @Override
        public void open(String vmId, String network) {
            calls.add("open " + vmId);
            if (failOpen) {
                throw new IllegalStateException("port taken (injected)");
            }
        }

        @Override
        public void close(String vmId) {
            calls.add("close " + vmId);
        }

        @Override
        public void forget(String vmId) {
            calls.add("forget " + vmId);
        }
    }

    private void start(Duration memoryTier) {
        f = new Fixture(dir, LifecycleSettings.DEFAULTS.withMemoryTier(memoryTier).withBusyWait(Duration.ofSeconds(5)));
        f.lifecycle.networking(net, () -> "vmnet" + ids.incrementAndGet());
    }

    private MicroVmRecord run(String network) {
        return f.lifecycle.run(new Lifecycle.Launch(f.tenant, "img", 1, f.engine.template("t1"), f.hooks, Map.of(), Map.of(), null,
                f.clock.instant().plus(Duration.ofHours(1)), null, network), "req", r -> { });
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void aNetworkedRunGetsItsSpecFromTheEngineAndItsServicesOnceRestored() {
        start(Duration.ofSeconds(120));
        MicroVmRecord r = run(INTERNET);
        assertThat(r.id()).isEqualTo("vmnet1");
        assertThat(r.network()).isEqualTo(INTERNET);
        assertThat(f.engine.networks.get(r.id()).mode()).isEqualTo(NetworkSpec.Mode.INTERNET);
        assertThat(f.engine.calls).containsSubsequence("network vmnet1 INTERNET", "restore vmnet1 from t1");
        assertThat(net.calls).containsExactly("open vmnet1");
    }

    @Test
    void aRunWithoutANetworkKeepsTheWarmPoolPathAndOpensNothing() {
        start(Duration.ofSeconds(120));
        MicroVmRecord r = run("{\"egress\":\"none\"}");
        assertThat(r.id()).startsWith("vmfake");
        assertThat(f.engine.networks).isEmpty();
        assertThat(net.calls).containsExactly("open " + r.id()); // opening egress none is a no-op of the networking
    }

    @Test
    void suspendClosesTheServicesResumeOpensThemAndTerminateForgetsThem() {
        start(Duration.ofSeconds(120));
        String id = run(INTERNET).id();
        f.lifecycle.suspend(f.tenant, id, null);
        f.lifecycle.resume(f.tenant, id, null);
        f.lifecycle.terminate(f.tenant, id, null);
        assertThat(net.calls).containsExactly("open " + id, "close " + id, "open " + id, "forget " + id);
    }

    @Test
    void aDiskTierResumeRestoresWithTheSameNetwork() {
        start(Duration.ZERO);
        String id = run(INTERNET).id();
        f.lifecycle.suspend(f.tenant, id, null);
        f.engine.calls.clear();
        f.lifecycle.resume(f.tenant, id, null);
        assertThat(f.engine.calls).contains("network " + id + " INTERNET");
        assertThat(net.calls).containsExactly("open " + id, "close " + id, "open " + id);
    }

    @Test
    void forksGetTheirOwnNetworkAndServices() {
        start(Duration.ofSeconds(120));
        String id = run(INTERNET).id();
        List<MicroVmRecord> forks = f.lifecycle.fork(f.tenant, id, 2, src -> new Lifecycle.Launch(f.tenant, "img", 1, null, f.hooks,
                Map.of(), Map.of(), null, f.clock.instant().plus(Duration.ofHours(1)), null, src.network()), null);
        assertThat(forks).extracting(MicroVmRecord::network).containsOnly(INTERNET);
        assertThat(forks).extracting(MicroVmRecord::id).containsExactly("vmnet2", "vmnet3");
        assertThat(net.calls).containsExactly("open vmnet1", "open vmnet2", "open vmnet3");
    }

    @Test
    void servicesThatCannotStartFailTheMicroVmInsteadOfRunningItWithoutThem() {
        start(Duration.ofSeconds(120));
        net.failOpen = true;
        assertThatThrownBy(() -> run(INTERNET)).isInstanceOf(EngineFailure.class).hasMessageContaining("egress");
        assertThat(f.state("vmnet1")).isEqualTo("FAILED");
        assertThat(f.get("vmnet1").stateReason()).contains("port taken");
        assertThat(f.engine.vmms).doesNotContainKey("vmnet1");
        assertThat(net.calls).containsExactly("open vmnet1", "forget vmnet1");
    }

    @Test
    void anAdoptedMicroVmGetsItsServicesAgainAfterARestart() {
        start(Duration.ofSeconds(120));
        String id = run(INTERNET).id();
        f.lifecycle.close();
        net.calls.clear();
        f.lifecycle = f.newLifecycle();
        f.lifecycle.networking(net, () -> "vmnet" + ids.incrementAndGet());
        f.lifecycle.reconcile();
        assertThat(f.state(id)).isEqualTo("RUNNING");
        assertThat(net.calls).containsExactly("open " + id);
    }

    @Test
    void aMicroVmWhoseVmmDiedLosesItsServicesAndDecisions() {
        start(Duration.ofSeconds(120));
        String id = run(INTERNET).id();
        f.engine.kill(id);
        f.lifecycle.close();
        f.lifecycle = f.newLifecycle();
        f.lifecycle.networking(net, () -> "vmnet" + ids.incrementAndGet());
        f.lifecycle.reconcile();
        assertThat(f.state(id)).isEqualTo("FAILED");
        assertThat(net.calls).endsWith("forget " + id);
    }
}
