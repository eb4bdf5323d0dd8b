package dev.burrow.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.testing.Restores;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An idle restored guest under real QEMU stops its timer tick (docs/adr/0034-idle-microvms.md):
 * it keeps the TSC as its clocksource (the watchdog once swapped it for jiffies, which forced a
 * periodic tick of HZ interrupts a second in every idle microVM).
 */
class IdleGuestEngineTest {

    private static final Duration T = Duration.ofSeconds(60);
    /** Guest seconds the guest itself sleeps while its local timer interrupts are counted. */
    private static final int IDLE_SECONDS = 2;
    /**
     * The most local timer interrupts a second an idle guest may take: a periodic tick is HZ
     * (250 in the guest kernel); a tickless one wakes for its few timers only.
     */
    private static final int MAX_IDLE_TIMER_IRQS_PER_SECOND = 50;

    @RegisterExtension
    final Restores vms = new Restores();

    @Test
    void aRestoredGuestKeepsTheTscAsItsClocksource() throws Exception {
        ExecResult r = vms.restore().agent().run(ExecRequest.of("cat", "/sys/devices/system/clocksource/clocksource0/current_clocksource"), T);

        assertThat(r.stdoutText().strip()).isEqualTo("tsc");
    }

    @Test
    void anIdleGuestTakesFarFewerTimerInterruptsThanAPeriodicTick() throws Exception {
        String count = "grep LOC: /proc/interrupts | tr -s ' ' | sed 's/^ //' | cut -d' ' -f2";
        ExecResult r = vms.restore().agent().run(ExecRequest.of("sh", "-c",
                "a=$(" + count + "); sleep " + IDLE_SECONDS + "; b=$(" + count + "); echo $((b - a))"), T);

        assertThat(r.exitCode()).as(r.stderrText()).isZero();
        assertThat(Long.parseLong(r.stdoutText().strip())).isLessThan((long) MAX_IDLE_TIMER_IRQS_PER_SECOND * IDLE_SECONDS);
    }
}
