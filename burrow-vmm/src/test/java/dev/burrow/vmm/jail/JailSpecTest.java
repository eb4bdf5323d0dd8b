package dev.burrow.vmm.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class JailSpecTest {

    private static final JailIds.Ids IDS = JailIds.forInstance("a1b2c3d4e5f6").ids(7);

    @Test
    void aPathBoundBothWaysIsBoundOnceWritableAndParentsComeBeforeWhatLiesBeneath() {
        List<JailSpec.Bind> binds = new JailSpec.Binds()
                .readOnly(Path.of("/data/vms/a/disk.qcow2"))
                .readOnly(Path.of("/data/templates/t/memory"))
                .writable(Path.of("/data/vms/a/disk.qcow2"))
                .writable(Path.of("/run/burrow/x/a"))
                .readOnly(Path.of("/data/vms"))
                .toList();
        assertThat(binds).containsExactly(
                new JailSpec.Bind(Path.of("/data/vms"), false),
                new JailSpec.Bind(Path.of("/data/templates/t/memory"), false),
                new JailSpec.Bind(Path.of("/data/vms/a/disk.qcow2"), true),
                new JailSpec.Bind(Path.of("/run/burrow/x/a"), true));
    }

    @Test
    void theJailersArgumentsCarryIdsBindsDevicesCgroupsAndLimits() {
        JailSpec spec = new JailSpec(IDS, Path.of("/run/burrow/x/jail/a"), "a",
                new JailSpec.Binds().readOnly(Path.of("/k/vmlinuz")).writable(Path.of("/k/disk.qcow2")).toList(),
                List.of(Path.of("/dev/null")), List.of(Path.of("/sys/fs/cgroup/pids/burrow/a/cgroup.procs")), 100, 200);
        assertThat(spec.args()).containsExactly(
                "--root", "/run/burrow/x/jail/a",
                "--uid", Long.toString(IDS.uid()), "--gid", Long.toString(IDS.gid()), "--groups", Long.toString(IDS.group()),
                "--rlimit-nofile", "100", "--rlimit-nproc", "200", "--hostname", "a",
                "--bind-rw", "/k/disk.qcow2", "--bind-ro", "/k/vmlinuz",
                "--dev", "/dev/null", "--cgroup", "/sys/fs/cgroup/pids/burrow/a/cgroup.procs");
    }

    @Test
    void aRelativeBindIsRefused() {
        assertThatThrownBy(() -> new JailSpec(IDS, Path.of("/r"), null, List.of(new JailSpec.Bind(Path.of("rel"), false)),
                List.of(), List.of(), 1, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rel");
    }
}
