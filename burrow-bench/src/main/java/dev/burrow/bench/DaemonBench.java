package dev.burrow.bench;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.testing.EngineFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The daemon's overhead: time from {@code POST /v1/microvms} to the first byte of an exec's
 * output through the API, over HTTP on loopback, next to the engine-level figure measured the
 * same way in the same run.
 *
 * <pre>./scripts/bench-daemon [--runs 25]</pre>
 */
public final class DaemonBench {

    private static final List<String> ECHO = List.of("echo", "x");
    private static final Duration STEP = Duration.ofSeconds(30);

    public static void main(String[] args) throws Exception {
        int runs = BenchSupport.intArg(args, "--runs", 25);
        try (BusyboxDaemon daemon = BusyboxDaemon.start("burrow-bench-daemon-")) {
            // the engine alone, same kind of template, interleaved with the API runs
            EngineFixture engine = EngineFixture.create(new MachineSpec(1, BusyboxDaemon.MEMORY_MIB));
            Stats api = new Stats();
            Stats direct = new Stats();
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                String id = daemon.create();
                api.add((daemon.execToFirstStdout(id, ECHO) - t0) / 1e6);
                daemon.terminate(id);

                t0 = System.nanoTime();
                try (MicroVm vm = engine.restore()) {
                    ExecSession s = vm.agent().exec(ExecRequest.of(ECHO.toArray(String[]::new)));
                    while (!(s.next(STEP) instanceof ExecEvent.Stdout)) {
                        // STARTED comes first
                    }
                    direct.add(BenchSupport.ms(t0));
                    s.await(STEP);
                }
            }
            String md = "Daemon benchmark, " + Instant.now() + "\n\n| measurement | result |\n|---|---|\n"
                    + "| POST /v1/microvms to first exec output byte, over HTTP (512 MiB) | " + api.summary() + " |\n"
                    + "| engine restore to first exec output byte, in-process (512 MiB) | " + direct.summary() + " |\n"
                    + String.format("| daemon overhead (p50 difference) | %.1f ms |%n", api.percentile(50) - direct.percentile(50));
            System.out.println("\n" + md);
        }
        System.exit(0);
    }

    private DaemonBench() {}
}
