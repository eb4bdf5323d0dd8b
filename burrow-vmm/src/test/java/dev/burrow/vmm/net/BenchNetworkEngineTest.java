package dev.burrow.vmm.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.qemu.QemuHypervisor;
import dev.burrow.vmm.testing.EngineFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The benchmark network path against real QEMU: a microVM restored from a template saved with
 * a NIC that had no backend answers HTTP from the host over its veth, and closing it leaves no
 * namespace, host link or route behind.
 */
class BenchNetworkEngineTest {

    private static final Duration T = Duration.ofSeconds(30);

    @Test
    void aRestoredMicroVmServesHttpToTheHostOverItsVethAndClosingItLeavesNothing() throws Exception {
        EngineFixture fx = EngineFixture.get();
        // an engine of its own over the same data directory: the shared one stays without a network
        QemuHypervisor engine = QemuHypervisor.start(fx.engine.config());
        engine.benchNetwork(true);
        String id = "net" + Long.toString(System.nanoTime() % 1_000_000, 36);
        VethPath path;
        try (MicroVm vm = engine.restore(fx.template, id, Identity.fresh(id))) {
            path = engine.network(vm).orElseThrow();
            assertThat(path.netns()).isEqualTo("burrow-" + fx.engine.config().instanceId() + "-" + id);
            assertThat(Files.exists(path.netnsPath())).isTrue();
            assertThat(vm.agent().run(ExecRequest.of("sh", "-c",
                    "mkdir -p /tmp/www && echo hello over the veth > /tmp/www/index.html && httpd -p 8080 -h /tmp/www"), T).exitCode())
                    .isZero();

            HttpResponse<String> r;
            try (HttpClient http = HttpClient.newBuilder().connectTimeout(T).build()) {
                r = http.send(HttpRequest.newBuilder(URI.create("http://" + path.guestAddress() + ":8080/index.html")).timeout(T).build(),
                        HttpResponse.BodyHandlers.ofString());
            }
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("hello over the veth\n");
        } finally {
            engine.close();
        }
        assertThat(Files.exists(path.netnsPath())).isFalse();
        assertThat(Files.exists(Path.of("/sys/class/net", path.hostLink()))).isFalse();
        assertThat(Files.readString(Path.of("/proc/net/route"))).doesNotContain(path.hostLink());
    }
}
