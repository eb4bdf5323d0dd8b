package dev.burrow.vmm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The busy fraction of two samples, with fixed counters: what the idle policy compares to 5 %. */
class GuestCpuTest {

    private static final double EPS = 1e-12;

    private static GuestCpu cpu(long total, long idle, long agent, int cpus) {
        return new GuestCpu(total, idle, agent, 100, cpus);
    }

    @Test
    void oneVcpuBusySevenTicksOfAHundredAfterTheAgentIsSevenPercent() {
        GuestCpu before = cpu(50_000, 40_000, 1_000, 1);
        GuestCpu after = cpu(50_100, 40_090, 1_003, 1); // 1 s: 10 busy ticks, 3 of them the agent's
        assertThat(GuestCpu.busyFraction(before, after).getAsDouble()).isCloseTo(0.07, within(EPS));
        assertThat(GuestCpu.agentFraction(before, after).getAsDouble()).isCloseTo(0.03, within(EPS));
    }

    @Test
    void theFractionIsOfOneVcpuSoTwoBusyVcpusGiveTwo() {
        GuestCpu before = cpu(1_000, 500, 10, 2);
        assertThat(GuestCpu.busyFraction(before, cpu(1_200, 500, 10, 2)).getAsDouble()).isCloseTo(2.0, within(EPS));
        // 1 s on 2 vCPUs: 100 idle, 100 busy of which 10 the agent's -> 90 ticks = 0.9 of one vCPU
        assertThat(GuestCpu.busyFraction(before, cpu(1_200, 600, 20, 2)).getAsDouble()).isCloseTo(0.9, within(EPS));
        assertThat(GuestCpu.agentFraction(before, cpu(1_200, 600, 20, 2)).getAsDouble()).isCloseTo(0.1, within(EPS));
    }

    @Test
    void anAgentCountedATickMoreThanTheBusyTicksLeavesZeroNotANegativeFraction() {
        assertThat(GuestCpu.busyFraction(cpu(0, 0, 0, 1), cpu(100, 98, 3, 1)).getAsDouble()).isZero();
    }

    @Test
    void aCounterThatWentBackwardsGivesNoValue() {
        GuestCpu before = cpu(10_000, 9_000, 100, 1);
        assertThat(GuestCpu.busyFraction(before, cpu(9_999, 9_000, 100, 1))).isEmpty(); // total reset
        assertThat(GuestCpu.busyFraction(before, cpu(10_100, 8_999, 100, 1))).isEmpty(); // idle reset
        assertThat(GuestCpu.busyFraction(before, cpu(10_100, 9_050, 99, 1))).isEmpty(); // agent reset
        assertThat(GuestCpu.agentFraction(before, cpu(10_100, 9_050, 99, 1))).isEmpty();
    }

    @Test
    void aWrapOfTheUnsignedCountersGivesNoValueButAValueAboveTwoToTheSixtyThreeIsCounted() {
        // -10 is 2^64 - 10 on the wire: going to 5 is a wrap
        assertThat(GuestCpu.busyFraction(cpu(-10, 0, 0, 1), cpu(5, 0, 0, 1))).isEmpty();
        // from 2^63 - 50 to 2^63 + 50: 100 ticks, though the second is negative as a long
        GuestCpu before = cpu(Long.MAX_VALUE - 49, Long.MAX_VALUE - 49, 0, 1);
        GuestCpu after = cpu(Long.MAX_VALUE + 51, Long.MAX_VALUE + 1, 0, 1);
        assertThat(GuestCpu.busyFraction(before, after).getAsDouble()).isCloseTo(0.5, within(EPS));
        // a growth of 2^63 ticks or more is no window
        assertThat(GuestCpu.busyFraction(cpu(0, 0, 0, 1), cpu(Long.MIN_VALUE, 0, 0, 1))).isEmpty();
    }

    @Test
    void samplesThatDoNotMakeAWindowGiveNoValue() {
        GuestCpu before = cpu(1_000, 900, 5, 1);
        assertThat(GuestCpu.busyFraction(before, before)).isEmpty(); // no tick passed
        assertThat(GuestCpu.busyFraction(before, cpu(1_100, 1_001, 5, 1))).isEmpty(); // idle grew more than total
        assertThat(GuestCpu.busyFraction(before, cpu(1_100, 950, 5, 2))).isEmpty(); // another CPU count
        assertThat(GuestCpu.busyFraction(before, new GuestCpu(1_100, 950, 5, 250, 1))).isEmpty(); // another tick rate
    }

    @Test
    void aSampleNeedsAPositiveTickRateAndCpuCount() {
        assertThatThrownBy(() -> new GuestCpu(1, 1, 1, 100, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GuestCpu(1, 1, 1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
