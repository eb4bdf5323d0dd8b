package dev.burrow.vmm.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.SuspendMode;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.agent.internal.AgentVersion;
import dev.burrow.vmm.internal.Commands;
import dev.burrow.vmm.qemu.QemuHypervisor;
import dev.burrow.vmm.testing.BusyboxRootfs;
import dev.burrow.vmm.testing.EngineFixture;
import dev.burrow.vmm.testing.Restores;
import java.net.Inet4Address;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The egress path against real QEMU, with a test host in a network namespace of its own (a
 * public test address and one in a private range, an httpd on both) and listeners on the host:
 * what each mode's guest reaches and what it does not, the guest's own configuration after a
 * restore, a fork, a resume, an adoption and a cold boot, and nothing left once the microVMs are gone.
 */
@Tag("security")
class EgressEngineTest {

    private static final Duration T = Duration.ofSeconds(30);
    /** How long a guest's probe of a destination waits to connect (a dropped SYN is never answered). */
    private static final int PROBE_SECONDS = 2;
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EngineFixture fx;
    private static TestHosts web;

    @RegisterExtension
    final Restores vms = new Restores();

    @BeforeAll
    static void testHost() throws Exception {
        fx = EngineFixture.get();
        web = TestHosts.start(fx.engine.config().instanceId());
    }

    @AfterAll
    static void nothingIsLeft() throws Exception {
        web.close();
        String instance = fx.engine.config().instanceId();
        try (var names = Files.list(Path.of("/run/netns"))) {
            assertThat(names.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(instance));
        }
        assertThat(Commands.run(List.of("nft", "list", "tables"), 10)).doesNotContain(VethPath.hostTableName(instance));
    }

    private MicroVm restore(Template t, String id, NetworkSpec spec) throws Exception {
        return vms.track(fx.engine.restore(t, id, Identity.of(id), spec));
    }

    private MicroVm restore(NetworkSpec spec) throws Exception {
        return restore(fx.template, newId(), spec);
    }

    private static String newId() {
        return "eg" + COUNTER.incrementAndGet() + "x" + Long.toString(System.nanoTime() % 1_000_000, 36);
    }

    private static String sh(MicroVm vm, String script) throws Exception {
        return vm.agent().run(ExecRequest.of("sh", "-c", script), T).stdoutText();
    }

    /** The page at {@code url} as the guest's wget gets it; empty when it gets nothing (busybox 1.35's wget -T crashes: timeout instead). */
    private static String fetch(MicroVm vm, String url) throws Exception {
        return sh(vm, "timeout " + PROBE_SECONDS + " wget -q -O - " + url + " 2>/dev/null");
    }

    /** Connects from the guest to every {@code address port} at once and returns when each connected or gave up. */
    private static void probe(MicroVm vm, List<String> targets) throws Exception {
        StringBuilder script = new StringBuilder();
        for (String t : targets) {
            script.append("timeout ").append(PROBE_SECONDS + 3).append(" nc -w ").append(PROBE_SECONDS).append(' ').append(t)
                    .append(" </dev/null >/dev/null 2>&1 & ");
        }
        sh(vm, script.append("wait").toString());
    }

    private static String hostFetch(String url) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(T).build()) {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(T).build(), HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    /** The host's own IPv4 addresses outside loopback, Burrow's links and the test's. */
    private static List<String> hostAddresses() throws Exception {
        List<String> out = new ArrayList<>();
        for (NetworkInterface i : NetworkInterface.networkInterfaces().toList()) {
            if (!i.isLoopback() && !i.getName().startsWith("bnet") && !i.getName().startsWith("bt")) {
                i.inetAddresses().filter(a -> a instanceof Inet4Address).forEach(a -> out.add(a.getHostAddress()));
            }
        }
        return out;
    }

    @Test
    void anInternetGuestReachesAServerOnTheInternetButNotTheBlockedRangesTheHostOrAnotherMicroVm() throws Exception {
        MicroVm a = restore(NetworkSpec.internet());
        MicroVm b = restore(NetworkSpec.internet());
        VethPath pa = fx.engine.network(a.id()).orElseThrow();
        VethPath pb = fx.engine.network(b.id()).orElseThrow();
        assertThat(sh(b, "mkdir -p /tmp/www && echo b > /tmp/www/index.html && httpd -p 8080 -h /tmp/www && "
                + "wget -q -O - http://127.0.0.1:8080/index.html")).isEqualTo("b\n");
        assertThat(hostFetch(web.url(web.webPrivate))).isEqualTo(TestHosts.PAGE);

        assertThat(fetch(a, web.url(web.webPublic))).isEqualTo(TestHosts.PAGE);
        assertThat(fetch(a, web.url(web.webPrivate))).isEmpty();
        assertThat(fetch(a, "http://" + pb.guestAddress() + ":8080/index.html")).isEmpty();

        try (Listener host = Listener.tcp("0.0.0.0", 0)) {
            List<String> targets = new ArrayList<>();
            for (String address : List.of(web.hostPublic, web.hostPrivate, pa.hostAddress(), pb.hostAddress())) {
                targets.add(address + " " + host.port);
            }
            hostAddresses().forEach(address -> targets.add(address + " " + host.port));
            probe(a, targets);
            assertThat(host.arrivals()).isZero();
            try (Socket fromHost = new Socket(pa.hostAddress(), host.port)) {
                assertThat(host.awaitArrival(T)).as("the listener answers on the path's host address").isTrue();
            }
        }
    }

    @Test
    void anInternetGuestsDnsToAnyAddressReachesTheDaemonsPortAndItsResolverIsTheGateway() throws Exception {
        MicroVm vm = restore(NetworkSpec.internet());
        VethPath path = fx.engine.network(vm.id()).orElseThrow();

        assertThat(sh(vm, "cat /etc/resolv.conf")).isEqualTo("nameserver " + path.gatewayAddress() + "\n");
        try (Listener dns = Listener.tcp(path.hostAddress(), NetworkSpec.DEFAULT_DNS_PORT)) {
            probe(vm, List.of("203.0.113.9 53"));
            assertThat(dns.awaitArrival(T)).isTrue();
        }
    }

    @Test
    void anAllowlistGuestReachesOnlyTheDaemonsPortsWhereverItAims() throws Exception {
        MicroVm vm = restore(NetworkSpec.allowlist());
        VethPath path = fx.engine.network(vm.id()).orElseThrow();

        try (Listener http = Listener.tcp(path.hostAddress(), NetworkSpec.DEFAULT_HTTP_PORT);
             Listener tls = Listener.tcp(path.hostAddress(), NetworkSpec.DEFAULT_TLS_PORT);
             Listener dns = Listener.udp(path.hostAddress(), NetworkSpec.DEFAULT_DNS_PORT);
             Listener host = Listener.tcp("0.0.0.0", 0)) {
            probe(vm, List.of(web.webPublic + " 80", web.webPublic + " 443", "203.0.113.9 443",
                    web.hostPublic + " " + host.port, path.hostAddress() + " " + host.port, web.webPublic + " " + TestHosts.HTTP_PORT));
            sh(vm, "timeout " + (PROBE_SECONDS + 3) + " nslookup example.com >/dev/null 2>&1");

            assertThat(http.arrivals()).isEqualTo(1);
            assertThat(tls.arrivals()).isEqualTo(2);
            assertThat(dns.awaitArrival(T)).isTrue();
            assertThat(host.arrivals()).isZero();
        }
        assertThat(fetch(vm, web.url(web.webPublic))).isEmpty();
        assertThat(hostFetch(web.url(web.webPublic))).isEqualTo(TestHosts.PAGE);
    }

    @Test
    void theAgentsBuiltinAndTheImagesIpCommandConfigureTheGuestAlike() throws Exception {
        MicroVm vm = restore(NetworkSpec.internet());
        VethPath path = fx.engine.network(vm.id()).orElseThrow();
        assertThat(AgentVersion.parse(vm.agent().agentVersion())).isGreaterThanOrEqualTo(AgentVersion.NET_BUILTIN);
        String configured = sh(vm, "ip -o -4 addr show dev eth0; ip route; cat /etc/resolv.conf");
        assertThat(configured).contains(path.guestAddress() + "/30", "default via " + path.gatewayAddress(),
                "nameserver " + path.gatewayAddress());

        // what an agent before 0.5.0 gets instead of the builtin, run again on the configured guest
        assertThat(vm.agent().run(ExecRequest.of(path.guestSetup().toArray(String[]::new)), T).exitCode()).isZero();

        assertThat(sh(vm, "ip -o -4 addr show dev eth0; ip route; cat /etc/resolv.conf")).isEqualTo(configured);
        assertThat(fetch(vm, web.url(web.webPublic))).isEqualTo(TestHosts.PAGE);
    }

    @Test
    void aMicroVmBootedWithAnInternetSpecGetsItsPathAndResolverAndIsNeverSnapshotted() throws Exception {
        Path disk = BusyboxRootfs.build(Files.createTempDirectory(fx.dataDir, "netboot-"), 256);
        String id = newId();
        MicroVm vm = vms.track(fx.engine.boot(id, MachineSpec.DEFAULT, disk, Identity.fresh(id), NetworkSpec.internet()));
        VethPath path = fx.engine.network(id).orElseThrow();

        assertThat(sh(vm, "ip -o -4 addr show dev eth0; ip route; cat /etc/resolv.conf")).contains(path.guestAddress() + "/30",
                "default via " + path.gatewayAddress(), "nameserver " + path.gatewayAddress());
        assertThat(fetch(vm, web.url(web.webPublic))).isEqualTo(TestHosts.PAGE);
        assertThat(fetch(vm, web.url(web.webPrivate))).isEmpty();
        assertThatThrownBy(() -> fx.engine.snapshot(vm, fx.dataDir.resolve("templates").resolve(id)))
                .isInstanceOf(VmmException.class).hasMessageContaining("booted with a network");

        vm.close();
        assertThat(Path.of("/run/netns", path.netns())).doesNotExist();
        assertThat(Path.of("/sys/class/net", path.hostLink())).doesNotExist();
    }

    @Test
    void aGuestWithoutANetworkHasNoAddressAndNoPath() throws Exception {
        MicroVm vm = restore(NetworkSpec.NONE);

        assertThat(fx.engine.network(vm.id())).isEmpty();
        assertThat(Path.of("/run/netns", VethPath.netnsName(fx.engine.config().instanceId(), vm.id()))).doesNotExist();
        assertThat(sh(vm, "ip -o -4 addr show dev eth0")).doesNotContain("inet");
        assertThat(fetch(vm, web.url(web.webPublic))).isEmpty();
    }

    @Test
    void aForkAndAResumeOfASavedGuestGetPathsOfTheirOwnAndReachTheInternet() throws Exception {
        String id = newId();
        MicroVm source = restore(fx.template, id, NetworkSpec.internet());
        String sourceAddress = fx.engine.network(source.id()).orElseThrow().guestAddress();
        try {
            Template saved = fx.engine.suspend(source, SuspendMode.END_VMM);
            assertThat(fx.engine.network(id)).isEmpty();

            MicroVm fork = restore(saved, newId(), NetworkSpec.internet());
            VethPath forkPath = fx.engine.network(fork.id()).orElseThrow();
            assertThat(forkPath.guestAddress()).isNotEqualTo(sourceAddress);
            assertThat(sh(fork, "ip -o -4 addr show dev eth0")).contains(forkPath.guestAddress() + "/30").doesNotContain(sourceAddress + "/");
            assertThat(fetch(fork, web.url(web.webPublic))).isEqualTo(TestHosts.PAGE);

            MicroVm resumed = restore(saved, id, NetworkSpec.allowlist());
            VethPath resumedPath = fx.engine.network(id).orElseThrow();
            assertThat(sh(resumed, "cat /etc/resolv.conf")).isEqualTo("nameserver " + resumedPath.gatewayAddress() + "\n");
            assertThat(fetch(resumed, web.url(web.webPublic))).isEmpty();
        } finally {
            fx.engine.discardSaved(id, null);
        }
    }

    @Test
    void aRestoreWhosePathCannotBeMadeFailsBeforeAnyVmmAndLeavesNoFiles() throws Exception {
        String id = newId();
        String ns = VethPath.netnsName(fx.engine.config().instanceId(), id);
        Commands.run(List.of("ip", "netns", "add", ns), 10); // a leftover the engine must not adopt silently
        try {
            assertThatThrownBy(() -> fx.engine.restore(fx.template, id, Identity.of(id), NetworkSpec.internet()))
                    .isInstanceOf(VmmException.class).hasMessageContaining("already exists");

            assertThat(fx.engine.liveVmms()).doesNotContain(id);
            assertThat(fx.dataDir.resolve("vms").resolve(id)).doesNotExist();
            assertThat(fx.engine.config().runDir().resolve(id)).doesNotExist();
        } finally {
            Commands.run(List.of("ip", "netns", "del", ns), 10);
        }
    }

    @Test
    void anAdoptedMicroVmKeepsItsPathAndClosingItRemovesEverything() throws Exception {
        String id = newId();
        MicroVm vm = fx.engine.restore(fx.template, id, Identity.of(id), NetworkSpec.internet());
        VethPath before = fx.engine.network(id).orElseThrow();
        vm.detach(); // what a daemon that dies leaves: the VMM and its path
        QemuHypervisor next = QemuHypervisor.start(fx.engine.config());
        try {
            MicroVm adopted = vms.track(next.adopt(id, vm.machine(), Identity.of(id)).orElseThrow());

            VethPath after = next.network(adopted).orElseThrow();
            assertThat(after.hostLink()).isEqualTo(before.hostLink());
            assertThat(fetch(adopted, web.url(web.webPublic))).isEqualTo(TestHosts.PAGE);

            adopted.close();
            assertThat(Path.of("/run/netns", before.netns())).doesNotExist();
            assertThat(Path.of("/sys/class/net", before.hostLink())).doesNotExist();
        } finally {
            next.close();
        }
    }
}
