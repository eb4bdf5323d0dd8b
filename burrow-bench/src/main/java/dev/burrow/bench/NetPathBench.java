package dev.burrow.bench;

import static dev.burrow.bench.BenchSupport.host;
import static dev.burrow.bench.BenchSupport.intArg;
import static dev.burrow.bench.BenchSupport.loadAverage;
import static dev.burrow.bench.BenchSupport.ms;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.agent.Identity;
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
 * The same HTTP app (busybox httpd: a 1 KiB and a 1 MiB file) in two busybox microVMs, reached
 * over each route in the same run, interleaved in rounds whose route order rotates (the machine
 * is shared and noisy). An engine microVM: directly over its benchmark veth (docs/adr/0016), and
 * through a raw agent TcpStream with HTTP spoken by hand. A microVM of an in-process burrowd:
 * directly over its veth, and through burrowd's ingress endpoint ({@code /proxy/<id>/…}, token
 * header, one keep-alive client connection). Each route's overhead is measured against the
 * direct route into the same microVM; burrowd's own floor for one authenticated request
 * ({@code GET /v1/microvms/<id>}) is timed beside them. Latency over sequential GETs of the small file, throughput
 * over GETs of the 1 MiB file, all with one hand-written client; plus exec stdout throughput
 * ({@code head -c N /dev/zero} through the engine's exec) in the same run.
 *
 * <pre>./scripts/bench-netpath [--gets 1000] [--big 30] [--rounds 10] [--exec-mib 256] [--exec-runs 2] [--no-ingress]</pre>
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
        boolean ingress = !Arrays.asList(args).contains("--no-ingress");
        String loadBefore = loadAverage();
        EngineFixture fx = EngineFixture.create(new MachineSpec(1, 512));
        QemuHypervisor engine = QemuHypervisor.start(fx.engine.config());
        engine.benchNetwork(true);
        String id = BenchSupport.id("net", "p");
        List<Route> routes = new ArrayList<>();
        DaemonSide daemon = null;
        try (MicroVm vm = engine.restore(fx.template, id, Identity.fresh(id))) {
            VethPath path = engine.network(vm).orElseThrow();
            if (vm.agent().run(ExecRequest.of(APP.toArray(String[]::new)), T).exitCode() != 0) {
                throw new IllegalStateException("starting httpd in the engine microVM failed");
            }
            Route direct = Route.tcp("engine microVM: direct over its veth", path.guestAddress(), PORT, "", Map.of());
            Route tunnel = Route.tunnel("engine microVM: agent TcpStream, HTTP by hand", vm.agent(), PORT);
            routes.addAll(List.of(direct, tunnel));
            Map<Route, Route> baseline = new LinkedHashMap<>(Map.of(tunnel, direct));
            Route apiFloor = null;
            if (ingress) {
                daemon = DaemonSide.start(APP, PORT);
                Route daemonDirect = Route.tcp("burrowd microVM: direct over its veth", daemon.path().guestAddress(), PORT, "", Map.of());
                Route endpoint = daemon.ingressRoute("burrowd microVM: ingress endpoint");
                apiFloor = daemon.apiRoute("burrowd API: GET /v1/microvms/{id} (no guest)");
                routes.addAll(List.of(daemonDirect, endpoint, apiFloor));
                baseline.put(endpoint, daemonDirect);
            }
            checkSameSizes(routes, apiFloor);

            Map<Route, Stats> latency = new LinkedHashMap<>();
            Map<Route, Stats> throughput = new LinkedHashMap<>();
            for (Route r : routes) {
                latency.put(r, new Stats());
                throughput.put(r, new Stats());
                for (int i = 0; i < WARM_GETS; i++) {
                    r.get(r == apiFloor ? "" : SMALL);
                }
            }
            Stats exec = new Stats();
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < routes.size(); k++) {
                    Route r = routes.get((round + k) % routes.size()); // each route goes first in turn
                    for (int i = share(gets, rounds, round); i > 0; i--) {
                        long t0 = System.nanoTime();
                        r.get(r == apiFloor ? "" : SMALL);
                        latency.get(r).add(ms(t0));
                    }
                    for (int i = r == apiFloor ? 0 : share(big, rounds, round); i > 0; i--) {
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
            String md = report(engine, latency, throughput, baseline, exec, execMiB, loadBefore);
            System.out.println("\n" + md);
            Path out = Path.of("burrow-bench", "target", "netpath-bench.md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, md);
        } finally {
            for (Route r : routes) {
                r.close();
            }
            if (daemon != null) {
                daemon.close();
            }
            engine.close();
        }
        System.exit(0);
    }

    /** How many of {@code total} runs fall in {@code round}: spread evenly, the remainder in the first rounds. */
    static int share(int total, int rounds, int round) {
        return total / rounds + (round < total % rounds ? 1 : 0);
    }

    /** The app: busybox httpd (it daemonizes) on {@value #PORT} serving {@value #SMALL} (1 KiB) and {@value #BIG} (1 MiB) of random bytes. */
    static final List<String> APP = List.of("sh", "-c", "mkdir -p /tmp/www && head -c " + SMALL_BYTES
            + " /dev/urandom > /tmp/www/small && head -c " + BIG_BYTES + " /dev/urandom > /tmp/www/big && httpd -p " + PORT
            + " -h /tmp/www");

    /** Every app route must serve whole files, or the comparison compares nothing. */
    private static void checkSameSizes(List<Route> routes, Route apiFloor) throws Exception {
        for (Route r : routes) {
            if (r == apiFloor) {
                continue;
            }
            int s = r.get(SMALL).body().length;
            int b = r.get(BIG).body().length;
            if (s != SMALL_BYTES || b != BIG_BYTES) {
                throw new IllegalStateException(r.name() + " served " + s + " and " + b + " bytes");
            }
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

    private static String report(QemuHypervisor engine, Map<Route, Stats> latency, Map<Route, Stats> throughput,
                                 Map<Route, Route> baseline, Stats exec, int execMiB, String loadBefore) {
        StringBuilder md = new StringBuilder("Network path benchmark, ").append(Instant.now()).append('\n');
        md.append("host: ").append(host()).append("; load average ").append(loadBefore).append(" before, ")
                .append(loadAverage()).append(" after\n");
        md.append("QEMU ").append(engine.profile().vmmVersion()).append(", accelerator ").append(engine.accelerator())
                .append("; guests 1 vCPU, 512 MiB, busybox httpd (a new guest connection per GET: it closes after each response)\n\n");
        md.append("| route | GET 1 KiB: p50 | p99 | mean | n | GET 1 MiB: median MB/s | min–max | n |\n|---|---|---|---|---|---|---|---|\n");
        for (Map.Entry<Route, Stats> e : latency.entrySet()) {
            Stats l = e.getValue();
            Stats t = throughput.get(e.getKey());
            md.append(String.format("| %s | %.2f ms | %.2f ms | %.2f ms | %d | ", e.getKey().name(),
                    l.percentile(50), l.percentile(99), l.mean(), l.count()));
            md.append(t.count() == 0 ? "– | – | – |\n"
                    : String.format("%.1f | %.1f–%.1f | %d |%n", t.percentile(50), t.percentile(0), t.percentile(100), t.count()));
        }
        md.append('\n');
        for (Map.Entry<Route, Route> e : baseline.entrySet()) {
            Stats l = latency.get(e.getKey());
            Stats d = latency.get(e.getValue());
            md.append(String.format("- %s adds %.2f ms p50, %.2f ms p99 over the direct route into the same microVM; "
                            + "1 MiB GETs at %.0f %% of its median throughput%n", e.getKey().name(),
                    l.percentile(50) - d.percentile(50), l.percentile(99) - d.percentile(99),
                    100 * throughput.get(e.getKey()).percentile(50) / throughput.get(e.getValue()).percentile(50)));
        }
        if (exec.count() > 0) {
            md.append(String.format("- exec stdout, `head -c %dM /dev/zero`: median %.1f MB/s (%.1f–%.1f, n=%d)%n", execMiB,
                    exec.percentile(50), exec.percentile(0), exec.percentile(100), exec.count()));
        }
        return md.toString();
    }
}
