package dev.burrow.bench;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.testing.EngineFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Burrow beside runc and gVisor (issue 13, item 5): start to first output of {@code echo hi},
 * interleaved round by round, one run. runc and runsc create and start a detached container
 * from the same static busybox the Burrow image holds, then {@code exec echo hi} into it; Burrow
 * answers {@code POST /v1/microvms} and then {@code POST …/exec} over HTTP on loopback; the
 * engine row is Burrow's restore + exec in-process, without the daemon. The "one call" rows are
 * a container whose own process is {@code echo hi} ({@code runc run}, foreground), the cheapest
 * way a container answers with an echo. "Burrow, standby" runs a version with {@code standby: 1}
 * once its standby is ready (the wait off the clock); the plain Burrow row is the pool empty. Removal (container
 * delete, microVM terminate) is off the clock and finished before the next system's turn. Each
 * round starts with a different system, so none always runs first.
 *
 * <pre>./scripts/bench-vs [--runs 20] [--warmup 1]</pre>
 */
public final class VsBench {

    static final String RUNC = "runc";
    static final String GVISOR = "gVisor";
    static final String RUNC_ONE = "runc, one call";
    static final String GVISOR_ONE = "gVisor, one call";
    static final String BURROW = "Burrow";
    static final String BURROW_STANDBY = "Burrow, standby";
    /** The image of the standby row: the busybox layout again, with one standby. */
    static final String STANDBY_IMAGE = "bbs";
    /** The longest the standby row waits (off the clock) for its version's standby to be ready. */
    private static final Duration STANDBY_WAIT = Duration.ofSeconds(30);
    static final String ENGINE = "Burrow engine";
    static final List<String> ECHO = List.of("echo", "hi");
    static final String ECHOED = "hi\n";
    private static final int DEFAULT_RUNS = 20;
    private static final int DEFAULT_WARMUP = 1;
    /** The longest one exec event may take in the engine row. */
    private static final Duration STEP = Duration.ofSeconds(60);

    /** One system's timed step: start to first output of {@code echo hi}, in ms; cleanup inside, off the clock. */
    @FunctionalInterface
    interface Trial {
        double run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int runs = BenchSupport.intArg(args, "--runs", DEFAULT_RUNS);
        int warmup = BenchSupport.intArg(args, "--warmup", DEFAULT_WARMUP);
        String loadBefore = BenchSupport.loadAverage();
        Path work = Files.createTempDirectory("burrow-bench-vs-");
        try (BusyboxDaemon burrow = BusyboxDaemon.start("burrow-bench-vs-daemon-")) {
            Path bundle = OciBundle.create(work.resolve("bundle"));
            Path echoBundle = OciBundle.create(work.resolve("bundle-echo"), ECHO);
            OciRuntime runc = new OciRuntime(RUNC, "runc", work.resolve("state-runc"), List.of());
            // ptrace is this runsc's default platform and the one that needs no /dev/kvm; no network, like runc's empty netns
            OciRuntime runsc = new OciRuntime(GVISOR, "runsc", work.resolve("state-runsc"), List.of("--network=none", "--platform=ptrace"));
            EngineFixture engine = EngineFixture.create(new MachineSpec(1, BusyboxDaemon.MEMORY_MIB));
            burrow.buildImage(STANDBY_IMAGE, 1);
            Map<String, Integer> standbyPaths = new LinkedHashMap<>();

            Map<String, Trial> trials = new LinkedHashMap<>();
            trials.put(RUNC, () -> container(runc, bundle));
            trials.put(GVISOR, () -> container(runsc, bundle));
            trials.put(RUNC_ONE, () -> oneCall(runc, echoBundle));
            trials.put(GVISOR_ONE, () -> oneCall(runsc, echoBundle));
            trials.put(BURROW, () -> microVm(burrow));
            trials.put(BURROW_STANDBY, () -> standbyMicroVm(burrow, standbyPaths));
            trials.put(ENGINE, () -> restore(engine));
            Map<String, Stats> stats = new LinkedHashMap<>();
            trials.keySet().forEach(k -> stats.put(k, new Stats()));

            List<String> order = new ArrayList<>(trials.keySet());
            for (int round = 0; round < warmup + runs; round++) {
                for (int i = 0; i < order.size(); i++) {
                    String system = order.get((round + i) % order.size());
                    double ms = trials.get(system).run();
                    if (round >= warmup) {
                        stats.get(system).add(ms);
                    }
                }
                System.err.printf("round %d/%d done%n", round + 1, warmup + runs);
            }

            VsTable table = new VsTable()
                    .add(RUNC, "`runc run --detach` + `runc exec`", stats.get(RUNC))
                    .add(GVISOR, "`runsc run --detach` + `runsc exec` (ptrace, no network)", stats.get(GVISOR))
                    .add(RUNC_ONE, "`runc run` whose process is `echo hi`", stats.get(RUNC_ONE))
                    .add(GVISOR_ONE, "`runsc run` whose process is `echo hi`", stats.get(GVISOR_ONE))
                    .add(BURROW, "`POST /v1/microvms` + `POST …/exec`, HTTP on loopback (" + BusyboxDaemon.MEMORY_MIB + " MiB, TCG)", stats.get(BURROW))
                    .add(BURROW_STANDBY, "the same, of a version with `standby: 1`, its standby ready (waited for off the clock)",
                            stats.get(BURROW_STANDBY))
                    .add(ENGINE, "restore + exec in-process, no daemon (same template kind)", stats.get(ENGINE));
            System.out.println();
            System.out.println("Burrow beside runc and gVisor, " + Instant.now() + ", " + runs + " interleaved rounds after "
                    + warmup + " warm-up");
            System.out.println("Host: " + BenchSupport.host() + "; load average " + loadBefore + " before, "
                    + BenchSupport.loadAverage() + " after");
            System.out.println("Versions: " + runc.version() + "; " + runsc.version());
            System.out.println();
            System.out.print(table.table());
            System.out.println();
            System.out.println(table.ratio(BURROW, GVISOR) + ", " + table.ratio(BURROW, RUNC) + ", " + table.ratio(BURROW, ENGINE)
                    + ", " + table.ratio(GVISOR, RUNC));
            System.out.println(table.ratio(BURROW, GVISOR_ONE) + ", " + table.ratio(BURROW, RUNC_ONE));
            System.out.println(table.ratio(BURROW_STANDBY, GVISOR) + ", " + table.ratio(BURROW_STANDBY, RUNC) + ", "
                    + table.ratio(BURROW, ENGINE) + " (pool empty: the Burrow row)");
            System.out.println("Burrow, standby: start paths (Burrow-Start) " + standbyPaths);
        } finally {
            FileTrees.deleteQuietly(work);
        }
        System.exit(0);
    }

    private static double container(OciRuntime runtime, Path bundle) throws Exception {
        String id = BenchSupport.id("vs", runtime.label().toLowerCase());
        long t0 = System.nanoTime();
        double ms;
        try {
            runtime.runDetached(id, bundle);
            ms = (runtime.execToFirstStdout(id, ECHO, ECHOED) - t0) / 1e6;
        } catch (Exception e) {
            cleanUp(e, () -> runtime.delete(id));
            throw e;
        }
        runtime.delete(id);
        return ms;
    }

    private static double oneCall(OciRuntime runtime, Path bundle) throws Exception {
        String id = BenchSupport.id("vs1", runtime.label().toLowerCase());
        long t0 = System.nanoTime();
        return (runtime.runToFirstStdout(id, bundle, ECHOED) - t0) / 1e6;
    }

    private static double microVm(BusyboxDaemon burrow) throws Exception {
        long t0 = System.nanoTime();
        String id = burrow.create();
        double ms;
        try {
            ms = (burrow.execToFirstStdout(id, ECHO) - t0) / 1e6;
        } catch (Exception e) {
            cleanUp(e, () -> burrow.terminate(id));
            throw e;
        }
        burrow.terminate(id);
        return ms;
    }

    /** A run of the standby image once its standby is ready (waited for off the clock); counts its start path. */
    private static double standbyMicroVm(BusyboxDaemon burrow, Map<String, Integer> paths) throws Exception {
        burrow.awaitStandbys(1, STANDBY_WAIT); // an engine without standbys never has one: the run is then cold, and says so
        long t0 = System.nanoTime();
        BusyboxDaemon.Run r = burrow.create(STANDBY_IMAGE);
        double ms;
        try {
            ms = (burrow.execToFirstStdout(r.id(), ECHO) - t0) / 1e6;
        } catch (Exception e) {
            cleanUp(e, () -> burrow.terminate(r.id()));
            throw e;
        }
        burrow.terminate(r.id());
        paths.merge(r.start(), 1, Integer::sum);
        return ms;
    }

    static double restore(EngineFixture engine) throws Exception {
        long t0 = System.nanoTime();
        try (MicroVm vm = engine.restore()) {
            ExecSession s = vm.agent().exec(ExecRequest.of(ECHO.toArray(String[]::new)));
            while (true) {
                ExecEvent ev = s.next(STEP);
                if (ev instanceof ExecEvent.Stdout) {
                    double ms = BenchSupport.ms(t0);
                    s.await(STEP);
                    return ms;
                }
                if (ev == null || ev instanceof ExecEvent.Exit || ev instanceof ExecEvent.Failed) {
                    throw new IllegalStateException("no output from echo in a restored microVM: " + ev);
                }
            }
        }
    }

    /** After a failed trial: removes what it made, keeping the trial's failure as the one reported. */
    private static void cleanUp(Exception failure, Cleanup cleanup) {
        try {
            cleanup.run();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }

    @FunctionalInterface
    private interface Cleanup {
        void run() throws Exception;
    }

    private VsBench() {}
}
