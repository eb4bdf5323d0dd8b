package dev.burrow.vmm.qemu.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.Accelerator;
import dev.burrow.vmm.MachineSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuArgsTest {

    private static final QemuArgs.Files FILES = new QemuArgs.Files(Path.of("/k"), Path.of("/i"), Path.of("/m"), false, Path.of("/d"),
            Path.of("/c"), Path.of("/q.sock"), Path.of("/a.sock"), true, false, QemuArgs.MACHINE);

    private static List<String> build(String tap) {
        return QemuArgs.build("/usr/bin/qemu-system-x86_64", "inst/vm1", Accelerator.TCG, 64, 0, new MachineSpec(1, 512), FILES, tap);
    }

    @Test
    void withoutANetworkTheNicHasNoBackendAndNoNetdevExists() {
        List<String> a = build(null);

        assertThat(a).contains("virtio-net-device,id=net0,mac=02:b0:00:00:00:01").doesNotContain("-netdev");
        assertThat(QemuArgs.build("/usr/bin/qemu-system-x86_64", "inst/vm1", Accelerator.TCG, 64, 0, new MachineSpec(1, 512), FILES))
                .isEqualTo(a);
    }

    @Test
    void aTapBecomesTheBackendOfTheSameNicWithTheTemplatesMacAndNoScripts() {
        List<String> a = build("tap0");

        int netdev = a.indexOf("-netdev");
        assertThat(a.get(netdev + 1)).isEqualTo("tap,id=nd0,ifname=tap0,script=no,downscript=no");
        assertThat(a).contains("virtio-net-device,id=net0,mac=02:b0:00:00:00:01,netdev=nd0");
        assertThat(a.stream().filter(s -> s.startsWith("virtio-net-device"))).hasSize(1);
    }

    @Test
    void theGuestIsToldToTrustItsTscSoTheWatchdogCannotTakeItsTicklessIdleAway() {
        assertThat(QemuArgs.kernelArgs(Accelerator.TCG, 2_096_009).split(" ")).contains("tsc=reliable", "tsc_early_khz=2096009");
        assertThat(QemuArgs.kernelArgs(Accelerator.KVM, 2_096_009).split(" ")).contains("tsc=reliable").doesNotContain("tsc_early_khz=2096009");
        assertThat(QemuArgs.build("/q", "n", Accelerator.TCG, 64, 0, new MachineSpec(1, 512), boot()))
                .containsSequence("-append", QemuArgs.kernelArgs(Accelerator.TCG, 0));
    }

    @Test
    void onlyABootLoadsAKernelSinceARestoresGuestRunsTheOneInItsTemplatesMemory() {
        assertThat(QemuArgs.build("/q", "n", Accelerator.TCG, 64, 0, new MachineSpec(1, 512), boot()))
                .containsSequence("-kernel", "/k", "-initrd", "/i").contains("-append").doesNotContain("-incoming");
        assertThat(build(null)).contains("-incoming").doesNotContain("-kernel", "-initrd", "-append", "/k", "/i");
    }

    private static QemuArgs.Files boot() {
        return new QemuArgs.Files(Path.of("/k"), Path.of("/i"), Path.of("/m"), true, Path.of("/d"),
                Path.of("/c"), Path.of("/q.sock"), Path.of("/a.sock"), false, false, QemuArgs.MACHINE);
    }

    @Test
    void onlyQemu82AndLaterOpenAPrivatelyMappedMemoryFileReadOnly() {
        assertThat(QemuArgs.privateMappingOpensReadOnly("7.2.22")).isFalse();
        assertThat(QemuArgs.privateMappingOpensReadOnly("8.1.5")).isFalse();
        assertThat(QemuArgs.privateMappingOpensReadOnly("8.2.0")).isTrue();
        assertThat(QemuArgs.privateMappingOpensReadOnly("10.0.2")).isTrue();
        assertThat(QemuArgs.privateMappingOpensReadOnly("v?")).isFalse();
    }

    @Test
    void aVmmStartsWithTheMachineOptionsItsFilesCarryNotNecessarilyTodays() {
        for (String earlier : QemuArgs.EARLIER_MACHINES) {
            QemuArgs.Files old = new QemuArgs.Files(Path.of("/k"), Path.of("/i"), Path.of("/m"), false, Path.of("/d"),
                    Path.of("/c"), Path.of("/q.sock"), Path.of("/a.sock"), true, false, earlier);
            assertThat(QemuArgs.build("/q", "n", Accelerator.TCG, 64, 0, new MachineSpec(1, 512), old)).containsSequence("-M", earlier);
        }
        assertThat(build(null)).containsSequence("-M", QemuArgs.MACHINE);
    }

    @Test
    void onlyTodaysAndEarlierBurrowsMachineOptionsEverReachACommandLine() {
        assertThat(QemuArgs.canStart(QemuArgs.MACHINE)).isTrue();
        assertThat(QemuArgs.canStart(QemuArgs.UNRECORDED_MACHINE)).as("what VMMs before the record ran with").isTrue();
        assertThat(QemuArgs.EARLIER_MACHINES).allMatch(QemuArgs::canStart).doesNotContain(QemuArgs.MACHINE);
        assertThat(QemuArgs.canStart(QemuArgs.MACHINE + ",x-unknown=on")).isFalse();
        assertThatThrownBy(() -> new QemuArgs.Files(Path.of("/k"), Path.of("/i"), Path.of("/m"), false, Path.of("/d"),
                Path.of("/c"), Path.of("/q.sock"), Path.of("/a.sock"), true, false, "pc,accel=kvm -device evil"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not start");
    }
}
