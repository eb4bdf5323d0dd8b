package dev.burrow.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.SuspendMode;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.testing.EngineFixture;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What the jail costs: restore (to the first exec's answer), suspend to the disk tier and
 * resume (to the first exec's answer), with and without the jail, the two engines taking turns
 * in one run so both see the same machine load. A measurement, not a check: run it on purpose
 * with {@code -Dburrow.bench=jail} (docs/adr/0017-the-jail.md has its figures).
 */
@EnabledIfSystemProperty(named = "burrow.bench", matches = "jail")
class JailCostBench {

    private static final int ROUNDS = Integer.getInteger("burrow.bench.rounds", 10);
    private static final Duration T = Duration.ofSeconds(60);

    @Test
    void restoreAndSuspendResumeWithAndWithoutTheJail() throws Exception {
        EngineFixture jailed = EngineFixture.create(MachineSpec.DEFAULT);
        EngineFixture open = EngineFixture.create(MachineSpec.DEFAULT, c -> c.withJail(false));
        long[][] jailedMs = new long[3][ROUNDS];
        long[][] openMs = new long[3][ROUNDS];
        for (int i = -1; i < ROUNDS; i++) { // round -1 warms both up
            EngineFixture first = i % 2 == 0 ? jailed : open;
            EngineFixture second = first == jailed ? open : jailed;
            long[] a = cycle(first, i);
            long[] b = cycle(second, i);
            if (i >= 0) {
                long[] j = first == jailed ? a : b;
                long[] o = first == jailed ? b : a;
                for (int k = 0; k < 3; k++) {
                    jailedMs[k][i] = j[k];
                    openMs[k][i] = o[k];
                }
            }
        }
        String[] names = {"restore -> first exec", "suspend (disk tier)", "resume -> first exec"};
        for (int k = 0; k < 3; k++) {
            System.out.printf("jail-cost %-22s jailed p50 %4d ms p90 %4d ms | not jailed p50 %4d ms p90 %4d ms | ratio p50 %.2f%n",
                    names[k], pct(jailedMs[k], 50), pct(jailedMs[k], 90), pct(openMs[k], 50), pct(openMs[k], 90),
                    (double) pct(jailedMs[k], 50) / Math.max(1, pct(openMs[k], 50)));
        }
        jailed.engine.close();
        open.engine.close();
    }

    /** Restore, first exec, suspend, resume, first exec, close: the three durations in ms. */
    private static long[] cycle(EngineFixture fx, int round) throws Exception {
        String id = "cost" + (round + 1) + "x" + Long.toString(System.nanoTime() % 100000, 36);
        long t0 = System.nanoTime();
        MicroVm vm = fx.engine.restore(fx.template, id, Identity.of(id));
        exec(vm);
        long restored = System.nanoTime();
        Template saved = fx.engine.suspend(vm, SuspendMode.END_VMM);
        long suspended = System.nanoTime();
        MicroVm back = fx.engine.restore(saved, id, Identity.of(id));
        exec(back);
        long resumed = System.nanoTime();
        back.close();
        fx.engine.discardSaved(id, null);
        return new long[] {(restored - t0) / 1_000_000, (suspended - restored) / 1_000_000, (resumed - suspended) / 1_000_000};
    }

    private static void exec(MicroVm vm) throws Exception {
        assertThat(vm.agent().run(ExecRequest.of("true"), T).exitCode()).isZero();
    }

    /** The nearest-rank percentile {@code p} of {@code values}. */
    private static long pct(long[] values, int p) {
        long[] v = values.clone();
        Arrays.sort(v);
        return v[Math.max(0, (int) Math.ceil(p / 100.0 * v.length) - 1)];
    }
}
