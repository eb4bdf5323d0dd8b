package dev.burrow.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class HostProfileTest {

    private static final String OLD = "microvm,rtc=off";
    private static final String NEW = "microvm,rtc=off,pit=off";
    private static final HostProfile HERE = new HostProfile("qemu", "7.2.22", NEW, "max", Accelerator.TCG, "linux 6.1", 3);

    @Test
    void aTemplateMadeWithEarlierMachineOptionsStillRestoresWhileThisHostStartsThem() {
        HostProfile made = HERE.withMachine(OLD);

        assertThat(HERE.restoreMismatches(made, Set.of(NEW, OLD)::contains)).isEmpty();
        assertThat(HERE.restoreMismatches(made, Set.of(NEW)::contains)).singleElement().asString()
                .contains("machine options were " + OLD).contains("no longer starts");
    }

    @Test
    void aTemplateWithOtherMachineOptionsIsNotReusedForANewVersionThoughItRestores() {
        assertThat(HERE.mismatches(HERE.withMachine(OLD))).singleElement().asString()
                .isEqualTo("machine options was " + OLD + ", this host has " + NEW);
        assertThat(HERE.mismatches(HERE)).isEmpty();
    }

    @Test
    void everythingButTheMachineOptionsMustStillMatchToRestore() {
        HostProfile made = new HostProfile("firecracker", "7.1.0", OLD, "host", Accelerator.KVM, "linux 6.2", 2);

        assertThat(HERE.restoreMismatches(made, Set.of(NEW, OLD)::contains))
                .containsExactly("VMM was firecracker, this host has qemu", "VMM version was 7.1.0, this host has 7.2.22",
                        "CPU model was host, this host has max", "accelerator was KVM, this host has TCG",
                        "guest kernel was linux 6.2, this host has linux 6.1", "agent protocol was 2, this host has 3");
    }

    @Test
    void aRecordOfOtherMachineOptionsChangesNothingElse() {
        HostProfile p = HERE.withMachine(OLD);

        assertThat(p.machine()).isEqualTo(OLD);
        assertThat(p.withMachine(NEW)).isEqualTo(HERE);
    }
}
