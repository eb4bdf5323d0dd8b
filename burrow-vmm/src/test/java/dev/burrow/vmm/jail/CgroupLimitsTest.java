package dev.burrow.vmm.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.MachineSpec;
import org.junit.jupiter.api.Test;

class CgroupLimitsTest {

    @Test
    void theFormulaIsOneCpuPerVcpuPlusAllowanceAndGuestMemoryPlusMeasuredOverheads() {
        CgroupLimits l = CgroupLimits.forMachine(new MachineSpec(4, 1024), 64);

        assertThat(l.cpuPeriodMicros()).isEqualTo(CgroupLimits.CPU_PERIOD_MICROS);
        assertThat(l.cpuQuotaMicros()).isEqualTo(4 * CgroupLimits.CPU_PERIOD_MICROS + CgroupLimits.CPU_ALLOWANCE_MICROS);
        assertThat(l.memoryBytes()).isEqualTo((1024L + 1024 * CgroupLimits.GUEST_RAM_OVERHEAD_PERCENT / 100 + 64
                + CgroupLimits.QEMU_OVERHEAD_MIB + CgroupLimits.PAGE_CACHE_HEADROOM_MIB) << 20);
        assertThat(l.pidsMax()).isEqualTo(4 + CgroupLimits.PIDS_BASE + CgroupLimits.PIDS_IO_POOL);
        assertThat(l.cpuShares()).isEqualTo(4 * CgroupLimits.SHARES_PER_VCPU);
    }

    @Test
    void v2sCpuWeightIsTheV1SharesScaledToItsDefaultOf100AndClamped() {
        assertThat(CgroupLimits.cpuWeight(1024)).isEqualTo(100);
        assertThat(CgroupLimits.cpuWeight(2048)).isEqualTo(200);
        assertThat(CgroupLimits.cpuWeight(2)).isEqualTo(1);
        assertThat(CgroupLimits.cpuWeight(262_144)).isEqualTo(10_000);
    }

    @Test
    void withoutATranslationCacheTheMemoryLimitIsThatMuchSmaller() {
        MachineSpec m = new MachineSpec(1, 512);

        assertThat(CgroupLimits.forMachine(m, 64).memoryBytes() - CgroupLimits.forMachine(m, 0).memoryBytes()).isEqualTo(64L << 20);
    }

    @Test
    void nonsenseLimitsAreRefused() {
        assertThatThrownBy(() -> new CgroupLimits(100, 100_000, 1L << 30, 10, 1024)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CgroupLimits(100_000, 100_000, 1024, 10, 1024)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CgroupLimits(100_000, 100_000, 1L << 30, 0, 1024)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CgroupLimits(100_000, 100_000, 1L << 30, 10, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CgroupLimits.forMachine(MachineSpec.DEFAULT, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
