package dev.burrow.bench;

import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.qemu.QemuHypervisor;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * The daemon's overhead: time from {@code POST /v1/microvms} to the first byte of an exec's
 * output through the API, over HTTP on loopback, next to the engine-level figure measured the
 * same way in the same run, turn by turn. Like for like: the in-process side restores the very
 * template the daemon's image version runs from, on the daemon's own engine (same jail, same
 * guest), cold on both sides (no warm VMM, no standby), 512 MiB.
 *
 * <p>Besides the difference of the p50s it prints the median of the per-turn differences (less
 * moved by a loaded host), and, when the daemon records call traces, where the daemon's time
 * goes: each step's own time per call (p50 over the turns), and the time outside the handler
 * (the JDK client, loopback, Jetty's parsing) as the client's time minus the handler's.
 *
 * <pre>./scripts/bench-daemon [--runs 25]</pre>
 */
public final class DaemonBench {

    private static final List<String> ECHO = List.of("echo", "x");
    private static final Duration STEP = Duration.ofSeconds(30);
    /** How long a finished call's trace may take to reach the benchmark after the client saw its answer. */
    private static final Duration TRACE_WAIT = Duration.ofSeconds(10);
    /** Steps that are the engine's work in the daemon (the in-process side does the same): the rest is the daemon's. */
    private static final Set<String> ENGINE_STEPS = Set.of("engine+lifecycle", "agent-exec", "guest-wait");

    public static void main(String[] args) throws Exception {
        int runs = BenchSupport.intArg(args, "--runs", 25);
        try (BusyboxDaemon daemon = BusyboxDaemon.start("burrow-bench-daemon-"); DaemonTraces traces = DaemonTraces.start()) {
            // the in-process side restores the very template the daemon runs, on the daemon's own engine
            Template template = daemon.template();
            QemuHypervisor engine = daemon.engine();
            Stats directRestore = new Stats();
            Stats directExec = new Stats();
            Stats daemonRestore = new Stats();
            Stats daemonExec = new Stats();
            Stats api = new Stats();
            Stats direct = new Stats();
            Stats paired = new Stats();
            Stats runHttp = new Stats();
            Stats execHttp = new Stats();
            Stats runDaemon = new Stats();
            Stats execDaemon = new Stats();
            List<DaemonTraces.Call> runCalls = new ArrayList<>();
            List<DaemonTraces.Call> execCalls = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                traces.clear();
                long start = System.nanoTime();
                String id = daemon.create();
                long created = System.nanoTime();
                long firstByte = daemon.execToFirstStdout(id, ECHO);
                double apiMs = (firstByte - start) / 1e6;
                api.add(apiMs);
                DaemonTraces.Call run = traces.next("POST", "/v1/microvms", TRACE_WAIT);
                DaemonTraces.Call exec = traces.next("POST", "/exec", TRACE_WAIT);
                daemon.terminate(id);

                long t0 = System.nanoTime();
                try (MicroVm vm = engine.restore(template, Identity::of)) {
                    long restored = System.nanoTime();
                    ExecSession s = vm.agent().exec(ExecRequest.of(ECHO.toArray(String[]::new)));
                    while (!(s.next(STEP) instanceof ExecEvent.Stdout)) {
                        // STARTED comes first
                    }
                    double directMs = BenchSupport.ms(t0);
                    direct.add(directMs);
                    directRestore.add((restored - t0) / 1e6);
                    directExec.add(directMs - (restored - t0) / 1e6);
                    paired.add(apiMs - directMs);
                    s.await(STEP);
                }
                if (run != null && exec != null && exec.marks().containsKey("first-stdout")) {
                    runCalls.add(run);
                    execCalls.add(exec);
                    double execToFirst = exec.marks().get("first-stdout");
                    runHttp.add((created - start) / 1e6 - run.totalMs());
                    execHttp.add((firstByte - created) / 1e6 - execToFirst);
                    runDaemon.add(run.totalMs() - engineMs(run));
                    execDaemon.add(execToFirst - engineMs(exec));
                    daemonRestore.add(engineMs(run));
                    daemonExec.add(engineMs(exec));
                }
            }
            StringBuilder md = new StringBuilder("Daemon benchmark, " + Instant.now() + ", load average "
                    + String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()) + " at the end\n\n"
                    + "| measurement | result |\n|---|---|\n"
                    + "| POST /v1/microvms to first exec output byte, over HTTP (512 MiB) | " + api.summary() + " |\n"
                    + "| engine restore to first exec output byte, in-process (512 MiB) | " + direct.summary() + " |\n"
                    + String.format("| daemon overhead (p50 difference) | **%.1f ms** |%n", api.percentile(50) - direct.percentile(50))
                    + String.format("| daemon overhead (median of the per-turn differences) | %.1f ms |%n", paired.percentile(50))
                    + String.format("| HTTP / in-process (ratio of the p50s; steadier than a difference on a loaded host) | %.3f× |%n",
                            api.percentile(50) / direct.percentile(50)));
            if (!runCalls.isEmpty()) {
                md.append(String.format("| daemon overhead from the traces (p50 of the parts below, summed) | %.1f ms |%n",
                        runHttp.percentile(50) + runDaemon.percentile(50) + execHttp.percentile(50) + execDaemon.percentile(50)));
                md.append("\nWhere the daemon's time goes (p50 over ").append(runCalls.size()).append(" turns, ms; each step's own time, ")
                        .append("nested steps taken out; engine steps are the in-process side's work too)\n\n")
                        .append("| part | POST /v1/microvms | POST …/exec (to the first stdout line) |\n|---|---|---|\n")
                        .append(String.format("| outside the handler: JDK client, loopback, Jetty | %.2f | %.2f |%n",
                                runHttp.percentile(50), execHttp.percentile(50)))
                        .append(String.format("| inside the handler, not the engine | %.2f | %.2f |%n",
                                runDaemon.percentile(50), execDaemon.percentile(50)));
                md.append(String.format("| the engine's part: restore (in-process %.2f) | %.2f | |%n", directRestore.percentile(50),
                        daemonRestore.percentile(50)))
                        .append(String.format("| the engine's part: exec to the first byte (in-process %.2f) | | %.2f |%n",
                                directExec.percentile(50), daemonExec.percentile(50)));
                Set<String> names = new LinkedHashSet<>();
                runCalls.forEach(c -> names.addAll(c.steps().keySet()));
                execCalls.forEach(c -> names.addAll(c.steps().keySet()));
                for (String n : names) {
                    md.append(String.format("| %s%s | %s | %s |%n", ENGINE_STEPS.contains(n) ? "(engine) " : "", n,
                            p50(runCalls, c -> c.step(n)), p50(execCalls, c -> c.step(n))));
                }
                md.append(String.format("| rest of the handler (validation, small work between steps) | %s | %s |%n",
                        p50(runCalls, c -> c.totalMs() - c.steps().values().stream().mapToDouble(Double::doubleValue).sum()), "—"));
                md.append(String.format("%nCommits per run call (p50): %.0f synced (fsync), %.0f unsynced; SQLite reads: %.0f.%n",
                        p50Value(runCalls, c -> c.count("db-commit-synced")), p50Value(runCalls, c -> c.count("db-commit")),
                        p50Value(runCalls, c -> c.count("db-read"))));
            } else {
                md.append("\n(no call traces: this daemon records none)\n");
            }
            System.out.println("\n" + md);
        }
        System.exit(0);
    }

    private static double engineMs(DaemonTraces.Call c) {
        return ENGINE_STEPS.stream().mapToDouble(c::step).sum();
    }

    private static String p50(List<DaemonTraces.Call> calls, ToDoubleFunction<DaemonTraces.Call> f) {
        return String.format("%.2f", p50Value(calls, f));
    }

    private static double p50Value(List<DaemonTraces.Call> calls, ToDoubleFunction<DaemonTraces.Call> f) {
        Stats s = new Stats();
        calls.forEach(c -> s.add(f.applyAsDouble(c)));
        return s.percentile(50);
    }

    private DaemonBench() {}
}
