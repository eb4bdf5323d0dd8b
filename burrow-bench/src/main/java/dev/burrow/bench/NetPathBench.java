package dev.burrow.bench;

import static dev.burrow.bench.BenchSupport.host;
import static dev.burrow.bench.BenchSupport.intArg;
import static dev.burrow.bench.BenchSupport.loadAverage;
import static dev.burrow.bench.BenchSupport.ms;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.net.BenchNetwork;
import dev.burrow.vmm.net.VethPath;
import dev.burrow.vmm.qemu.QemuHypervisor;
import dev.burrow.vmm.testing.EngineFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The same HTTP app in one busybox microVM (busybox httpd: a small file and a 1 MiB file),
 * reached over each route in the same run, interleaved in rounds whose route order rotates (the
 * machine is shared and noisy): directly over the microVM's benchmark veth (docs/adr/0014), and
 * through a raw agent TcpStream with HTTP spoken by hand. Latency over sequential GETs of the
 * small file, throughput over GETs of the 1 MiB file, both with the same hand-written client;
 * plus exec stdout throughput ({@code head -c N /dev/zero}) in the same run.
 *
 * <pre>./scripts/bench-ingress [--gets 1000] [--big 30] [--rounds 10] [--exec-mib 256] [--exec-runs 2]</pre>
 */
public final class NetPathBench {

    private static final Duration T = Duration.ofSeconds(120);
    static final int PORT = 8080;
    static final String SMALL = "/small";
    static final String BIG = "/big";
    static final int SMALL_BYTES = 1024;
    static final int BIG_BYTES = 1 << 20;
    private static final int WARM_GETS = 20;

    private NetPathBench() {}

    public static void main(String[] args) throws Exception {
        int gets = intArg(args, "--gets", 1000);
        int big = intArg(args, "--big", 30);
        int rounds = intArg(args, "--rounds", 10);
        int execMiB = intArg(args, "--exec-mib", 256);
        int execRuns = intArg(args, "--exec-runs", 2);
        String loadBefore = loadAverage();
        EngineFixture fx = EngineFixture.create(new MachineSpec(1, 512));
        QemuHypervisor engine = QemuHypervisor.start(fx.engine.config());
        engine.benchNetwork(BenchNetwork.defaults());
        String id = BenchSupport.id("net", "p");
        List<Route> routes = new ArrayList<>();
        try (MicroVm vm = engine.restore(fx.template, id, Identity.fresh(id))) {
            VethPath path = engine.network(vm).orElseThrow();
            startApp(vm);
            routes.add(Route.tcp("direct over the veth", path.guestAddress(), PORT, "", Map.of()));
            routes.add(Route.tunnel("agent TcpStream, HTTP by hand", vm.agent(), PORT));
            checkSameBytes(routes);

            Map<Route, Stats> latency = new LinkedHashMap<>();
            Map<Route, Stats> throughput = new LinkedHashMap<>();
            for (Route r : routes) {
                latency.put(r, new Stats());
                throughput.put(r, new Stats());
                for (int i = 0; i < WARM_GETS; i++) {
                    r.get(SMALL);
                }
                r.get(BIG);
            }
            Stats exec = new Stats();
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < routes.size(); k++) {
                    Route r = routes.get((round + k) % routes.size()); // each route goes first in turn
                    for (int i = share(gets, rounds, round); i > 0; i--) {
                        long t0 = System.nanoTime();
                        r.get(SMALL);
                        latency.get(r).add(ms(t0));
                    }
                    for (int i = share(big, rounds, round); i > 0; i--) {
                        long t0 = System.nanoTime();
                        int n = r.get(BIG).body().length;
                        throughput.get(r).add(n / 1e3 / ms(t0)); // MB/s
                    }
                }
                if (share(execRuns, rounds, round) > 0) {
                    exec.add(execThroughput(vm, execMiB));
                }
                System.out.printf("round %d/%d done, load %s%n", round + 1, rounds, loadAverage());
            }
            String md = report(engine, path, latency, throughput, exec, execMiB, loadBefore);
            System.out.println("\n" + md);
            Path out = Path.of("burrow-bench", "target", "netpath-bench.md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, md);
        } finally {
            for (Route r : routes) {
                r.close();
            }
            engine.close();
        }
        System.exit(0);
    }

    /** How many of {@code total} runs fall in {@code round}: spread evenly, the remainder in the first rounds. */
    static int share(int total, int rounds, int round) {
        return total / rounds + (round < total % rounds ? 1 : 0);
    }

    /** busybox httpd on {@value #PORT} serving {@value #SMALL} (1 KiB) and {@value #BIG} (1 MiB) of random bytes. */
    private static void startApp(MicroVm vm) throws Exception {
        ExecResult r = vm.agent().run(ExecRequest.of("sh", "-c", "mkdir -p /tmp/www && head -c " + SMALL_BYTES
                + " /dev/urandom > /tmp/www/small && head -c " + BIG_BYTES + " /dev/urandom > /tmp/www/big && httpd -p " + PORT
                + " -h /tmp/www"), T);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("starting httpd failed: " + r.stderrText());
        }
    }

    /** Every route must serve the very same bytes, or the comparison compares nothing. */
    private static void checkSameBytes(List<Route> routes) throws Exception {
        byte[] small = null;
        byte[] large = null;
        for (Route r : routes) {
            byte[] s = r.get(SMALL).body();
            byte[] b = r.get(BIG).body();
            if (s.length != SMALL_BYTES || b.length != BIG_BYTES
                    || small != null && (!Arrays.equals(small, s) || !Arrays.equals(large, b))) {
                throw new IllegalStateException(r.name() + " served other bytes (" + s.length + " and " + b.length + ")");
            }
            small = s;
            large = b;
        }
    }

    /** MB/s of {@code head -c MiB /dev/zero} read through an exec's stdout. */
    private static double execThroughput(MicroVm vm, int mib) throws Exception {
        ExecSession s = vm.agent().exec(ExecRequest.of("head", "-c", Long.toString((long) mib << 20), "/dev/zero"));
        long bytes = 0;
        long t0 = System.nanoTime();
        while (true) {
            ExecEvent e = s.next(T);
            if (e instanceof ExecEvent.Stdout o) {
                bytes += o.data().length;
            } else if (e instanceof ExecEvent.Exit) {
                break;
            } else if (e == null || e instanceof ExecEvent.Failed) {
                throw new IllegalStateException("exec throughput run failed: " + e);
            }
        }
        if (bytes != (long) mib << 20) {
            throw new IllegalStateException("read " + bytes + " bytes, expected " + ((long) mib << 20));
        }
        return bytes / 1e3 / ms(t0);
    }

    private static String report(QemuHypervisor engine, VethPath path, Map<Route, Stats> latency, Map<Route, Stats> throughput,
                                 Stats exec, int execMiB, String loadBefore) {
        StringBuilder md = new StringBuilder("Network path benchmark, ").append(Instant.now()).append('\n');
        md.append("host: ").append(host()).append("; load average ").append(loadBefore).append(" before, ")
                .append(loadAverage()).append(" after\n");
        md.append("QEMU ").append(engine.profile().vmmVersion()).append(", accelerator ").append(engine.accelerator())
                .append("; guest 1 vCPU, 512 MiB, busybox httpd; path ").append(path).append("\n\n");
        md.append("| route | GET 1 KiB: p50 | p99 | mean | n | GET 1 MiB: median MB/s | min–max | n |\n|---|---|---|---|---|---|---|---|\n");
        Stats direct = latency.values().iterator().next();
        for (Map.Entry<Route, Stats> e : latency.entrySet()) {
            Stats l = e.getValue();
            Stats t = throughput.get(e.getKey());
            md.append(String.format("| %s | %.2f ms | %.2f ms | %.2f ms | %d | %.1f | %.1f–%.1f | %d |%n", e.getKey().name(),
                    l.percentile(50), l.percentile(99), l.mean(), l.count(), t.percentile(50), t.percentile(0), t.percentile(100),
                    t.count()));
        }
        md.append('\n');
        for (Map.Entry<Route, Stats> e : latency.entrySet()) {
            if (e.getValue() != direct) {
                md.append(String.format("- %s adds %.2f ms p50, %.2f ms p99 over the direct route%n", e.getKey().name(),
                        e.getValue().percentile(50) - direct.percentile(50), e.getValue().percentile(99) - direct.percentile(99)));
            }
        }
        if (exec.count() > 0) {
            md.append(String.format("- exec stdout, `head -c %dM /dev/zero`: median %.1f MB/s (%.1f–%.1f, n=%d)%n", execMiB,
                    exec.percentile(50), exec.percentile(0), exec.percentile(100), exec.count()));
        }
        return md.toString();
    }
}
