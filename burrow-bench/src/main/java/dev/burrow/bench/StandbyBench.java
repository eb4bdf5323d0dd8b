package dev.burrow.bench;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.testing.EngineFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The daemon's standby pool under load (issue 13, item 1): {@code --runs} back-to-back runs
 * ({@code POST /v1/microvms} + {@code POST …/exec echo hi}, timed to the first stdout byte) of a
 * busybox version with {@code standby: 2}, none waiting for another's refill; per run its start
 * path (the {@code Burrow-Start} header) and latency. The microVMs stay up until all runs are done,
 * so a refill competes with the runs as it would under a burst. Then, interleaved round by round,
 * a run with no standby (the pool empty: a version without one) beside the engine's restore + exec
 * in-process, for the "pool empty within 1.1× of the engine's restore" figure.
 *
 * <pre>./scripts/bench-standby [--runs 50] [--rounds 10]</pre>
 */
public final class StandbyBench {

    /** The image with standbys. */
    static final String POOLED = "bbs";
    static final int POOL = 2;
    private static final int DEFAULT_RUNS = 50;
    private static final int DEFAULT_ROUNDS = 10;
    /** The longest the first fill of the pool may take (off the clock). */
    private static final Duration FILL = Duration.ofMinutes(2);
    static final String COLD_DAEMON = "Burrow, pool empty (no standby)";
    static final String ENGINE = "Burrow engine";

    public static void main(String[] args) throws Exception {
        int runs = BenchSupport.intArg(args, "--runs", DEFAULT_RUNS);
        int rounds = BenchSupport.intArg(args, "--rounds", DEFAULT_ROUNDS);
        String loadBefore = BenchSupport.loadAverage();
        try (BusyboxDaemon burrow = BusyboxDaemon.start("burrow-bench-standby-")) {
            burrow.buildImage(POOLED, POOL);
            boolean filled = burrow.awaitStandbys(POOL, FILL);
            System.err.println(filled ? "the pool is full (" + POOL + " ready)" : "the pool did not fill within " + FILL
                    + " (an engine without standbys: every run is cold)");

            Map<String, Stats> byPath = new LinkedHashMap<>();
            List<String> sequence = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            int errors = 0;
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                try {
                    BusyboxDaemon.Run r = burrow.create(POOLED);
                    ids.add(r.id());
                    double ms = (burrow.execToFirstStdout(r.id(), VsBench.ECHO) - t0) / 1e6;
                    byPath.computeIfAbsent(r.start(), k -> new Stats()).add(ms);
                    sequence.add(r.start().substring(0, 1).toUpperCase(Locale.ROOT));
                } catch (Exception e) {
                    errors++;
                    sequence.add("E");
                    System.err.println("run " + i + " failed: " + e);
                }
            }
            for (String id : ids) {
                burrow.terminate(id); // off the clock, after every run
            }

            Stats cold = new Stats();
            Stats engineStats = new Stats();
            EngineFixture engine = EngineFixture.create(new MachineSpec(1, BusyboxDaemon.MEMORY_MIB));
            for (int round = 0; round < rounds; round++) {
                boolean daemonFirst = round % 2 == 0;
                for (int k = 0; k < 2; k++) {
                    if (daemonFirst == (k == 0)) {
                        cold.add(coldRun(burrow));
                    } else {
                        engineStats.add(VsBench.restore(engine));
                    }
                }
            }

            System.out.println();
            System.out.println("Standby pool of " + POOL + ", " + Instant.now() + ": " + runs + " back-to-back runs, then " + rounds
                    + " interleaved rounds of a run without standby and the engine's restore");
            System.out.println("Host: " + BenchSupport.host() + "; load average " + loadBefore + " before, "
                    + BenchSupport.loadAverage() + " after");
            System.out.println();
            System.out.println("| start path | POST /v1/microvms + exec `echo hi`, to first stdout byte | p50 ms | p90 ms | min ms | n |");
            System.out.println("|---|---|---:|---:|---:|---:|");
            for (String path : List.of("standby", "warm", "cold", "?")) {
                Stats s = byPath.get(path);
                if (s != null) {
                    System.out.println(row(path, "back-to-back, pool of " + POOL, s));
                }
            }
            System.out.println(row(COLD_DAEMON, "a version without standby, interleaved with the engine", cold));
            System.out.println(row(ENGINE, "restore + exec in-process, no daemon", engineStats));
            System.out.println();
            System.out.println("Runs in order (S standby, W warm, C cold, E error): " + String.join("", sequence));
            System.out.println("Errors: " + errors + " of " + runs);
            System.out.printf(Locale.ROOT, "Pool empty / engine p50: %.2f×%n", cold.percentile(50) / engineStats.percentile(50));
            Stats claimed = byPath.get("standby");
            Stats fallback = byPath.get("cold");
            if (claimed != null && fallback != null) {
                System.out.printf(Locale.ROOT, "Standby / cold (back-to-back) p50: %.2f×%n", claimed.percentile(50) / fallback.percentile(50));
            }
            if (errors > 0) {
                System.exit(1);
            }
        }
        System.exit(0);
    }

    private static double coldRun(BusyboxDaemon burrow) throws Exception {
        long t0 = System.nanoTime();
        BusyboxDaemon.Run r = burrow.create(BusyboxDaemon.IMAGE);
        try {
            return (burrow.execToFirstStdout(r.id(), VsBench.ECHO) - t0) / 1e6;
        } finally {
            burrow.terminate(r.id());
        }
    }

    private static String row(String what, String measured, Stats s) {
        return String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.1f | %d |", what, measured, s.percentile(50), s.percentile(90),
                s.percentile(0), s.count());
    }

    private StandbyBench() {}
}
