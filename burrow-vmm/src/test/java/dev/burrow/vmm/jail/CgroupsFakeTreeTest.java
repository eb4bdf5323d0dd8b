package dev.burrow.vmm.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Cgroups} against plain directories laid out like cgroupfs: a pure v2 host whose burrowd
 * runs in a systemd service's cgroup, and a hybrid host like the CI machines (v1 controllers,
 * memory nested, an empty unified tree beside them).
 */
class CgroupsFakeTreeTest {

    private static final String INSTANCE = "abcd1234";
    private static final long SELF = 4242;
    private static final String SERVICE = "/system.slice/burrowd.service";
    private static final CgroupLimits LIMITS = CgroupLimits.forMachine(new MachineSpec(2, 384), 64);

    @TempDir
    Path root;
    private Path unified;
    private Path service;
    private Path selfCgroup;
    private Path mountinfo;

    @BeforeEach
    void pureV2Host() throws IOException {
        unified = root.resolve("sys/fs/cgroup");
        service = unified.resolve(SERVICE.substring(1));
        Files.createDirectories(service);
        write(unified.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc");
        write(unified.resolve("cgroup.subtree_control"), "cpu io memory pids");
        write(service.resolve("cgroup.controllers"), "cpu io memory pids");
        write(service.resolve("cgroup.subtree_control"), "");
        write(service.resolve("cgroup.procs"), SELF + "\n");
        selfCgroup = write(root.resolve("self-cgroup"), "0::" + SERVICE + "\n");
        mountinfo = write(root.resolve("mountinfo"), """
                22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
                30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
                """);
    }

    private static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file).trim();
    }

    private Cgroups cgroups() throws VmmException {
        return Cgroups.at(root, selfCgroup, mountinfo, INSTANCE, SELF);
    }

    @Test
    void onV2BurrowdMovesIntoItsLeafAndEachMicroVmGetsItsLimitsBeneathTheInstancesDirectory() throws Exception {
        VmCgroup vm = cgroups().create("vm1", LIMITS);

        Path dir = service.resolve("burrow-" + INSTANCE).resolve("vm1");
        assertThat(vm.dirs()).containsExactly(dir);
        assertThat(vm.procsFiles()).containsExactly(dir.resolve("cgroup.procs"));
        assertThat(read(dir.resolve("cpu.max"))).isEqualTo("250000 100000");
        assertThat(read(dir.resolve("memory.max"))).isEqualTo(Long.toString(LIMITS.memoryBytes()));
        assertThat(read(dir.resolve("pids.max"))).isEqualTo(Long.toString(LIMITS.pidsMax()));
        assertThat(read(dir.resolve("cpu.weight"))).isEqualTo("200");
        assertThat(read(dir.getParent().resolve("cpu.weight")))
                .isEqualTo(Long.toString(CgroupLimits.cpuWeight(Runtime.getRuntime().availableProcessors() * 1024L)));
        assertThat(read(service.resolve("burrowd-" + INSTANCE).resolve("cgroup.procs"))).isEqualTo(Long.toString(SELF));
        assertThat(read(service.resolve("cgroup.subtree_control")).split(" ")).containsExactlyInAnyOrder("+cpu", "+memory", "+pids");
        assertThat(read(service.resolve("burrow-" + INSTANCE).resolve("cgroup.subtree_control")).split(" "))
                .containsExactlyInAnyOrder("+cpu", "+memory", "+pids");
    }

    @Test
    void aDaemonRestartedInsideItsLeafUsesTheSameInstanceDirectory() throws Exception {
        cgroups().create("vm1", LIMITS);
        write(service.resolve("cgroup.procs"), "");
        write(service.resolve("cgroup.subtree_control"), "cpu memory pids");
        write(selfCgroup, "0::" + SERVICE + "/burrowd-" + INSTANCE + "\n");

        Cgroups again = cgroups();

        assertThat(again.existing("vm1")).map(VmCgroup::dirs).contains(java.util.List.of(service.resolve("burrow-" + INSTANCE + "/vm1")));
        assertThat(again.describe()).containsExactly("V2 cpu,memory,pids at " + service);
    }

    @Test
    void controllersNotDelegatedToBurrowdsCgroupFailNamingDelegateYes() throws Exception {
        write(service.resolve("cgroup.controllers"), "memory pids");

        assertThatThrownBy(this::cgroups).isInstanceOf(VmmException.class)
                .hasMessageContaining("[cpu]").hasMessageContaining("Delegate=yes");
    }

    @Test
    void otherProcessesInBurrowdsCgroupFailNamingThemAndDelegateYesBeforeAnythingIsWritten() throws Exception {
        write(service.resolve("cgroup.procs"), SELF + "\n777\n");

        assertThatThrownBy(this::cgroups).isInstanceOf(VmmException.class)
                .hasMessageContaining("[777]").hasMessageContaining("no internal processes").hasMessageContaining("Delegate=yes");
        assertThat(service.resolve("burrow-" + INSTANCE)).doesNotExist();
        assertThat(read(service.resolve("cgroup.subtree_control"))).isEmpty();
    }

    @Test
    void aMissingControllerIsNamed() throws Exception {
        write(unified.resolve("cgroup.controllers"), "cpu memory");

        assertThatThrownBy(this::cgroups).isInstanceOf(VmmException.class).hasMessageContaining("[pids]");
    }

    @Test
    void creatingAgainReusesTheDirectoryAndRewritesTheLimits() throws Exception {
        Cgroups c = cgroups();
        c.create("vm1", LIMITS);
        Path dir = service.resolve("burrow-" + INSTANCE).resolve("vm1");
        write(dir.resolve("pids.max"), "3");

        VmCgroup again = c.create("vm1", LIMITS);

        assertThat(again.dirs()).containsExactly(dir);
        assertThat(read(dir.resolve("pids.max"))).isEqualTo(Long.toString(LIMITS.pidsMax()));
    }

    @Test
    void reapingKeepsTheLiveRemovesTheRestAndTheInstanceDirectoryOnceItIsEmpty() throws Exception {
        Cgroups c = cgroups();
        c.create("live", LIMITS);
        c.create("crashed", LIMITS);
        Path instance = service.resolve("burrow-" + INSTANCE);

        c.reapExcept(Set.of("live"));

        assertThat(c.existing("live")).isPresent();
        assertThat(c.existing("crashed")).isEmpty();
        assertThat(instance).isDirectory();

        c.reapExcept(Set.of());

        assertThat(instance).doesNotExist();
        assertThat(service.resolve("burrowd-" + INSTANCE)).isDirectory(); // burrowd lives there
    }

    @Test
    void readingsComeFromTheV2Files() throws Exception {
        VmCgroup vm = cgroups().create("vm1", LIMITS);
        Path dir = vm.dirs().get(0);
        write(dir.resolve("memory.peak"), "123456789\n");
        write(dir.resolve("memory.current"), "1000\n");
        write(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n");
        write(dir.resolve("pids.current"), "17\n");
        write(dir.resolve("cpu.stat"), "usage_usec 5\nnr_periods 10\nnr_throttled 4\nthrottled_usec 9\n");
        write(dir.resolve("cgroup.procs"), "31\n");

        assertThat(vm.memoryPeakBytes()).contains(123456789L);
        assertThat(vm.memoryCurrentBytes()).contains(1000L);
        assertThat(vm.oomKills()).contains(1L);
        assertThat(vm.pidsCurrent()).contains(17L);
        assertThat(vm.cpuThrottledPeriods()).contains(4L);
        assertThat(vm.processes()).containsExactly(31L);
    }

    @Test
    void onAHybridHostTheV1ControllersAreUsedEachBeneathBurrowdsOwnPath() throws Exception {
        Path cg = root.resolve("sys/fs/cgroup");
        for (String d : new String[] {"cpu,cpuacct", "memory/process_api/f11a", "pids"}) {
            Files.createDirectories(cg.resolve(d));
        }
        write(cg.resolve("unified/cgroup.controllers"), "hugetlb");
        write(selfCgroup, """
                9:name=systemd:/
                8:pids:/
                4:memory:/process_api/f11a
                1:cpu,cpuacct:/
                0::/
                """);
        write(mountinfo, """
                30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
                31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
                34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
                38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
                39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
                40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
                """);

        VmCgroup vm = cgroups().create("vm1", LIMITS);

        String b = "burrow-" + INSTANCE + "/vm1";
        assertThat(vm.dirs()).containsExactlyInAnyOrder(cg.resolve("cpu,cpuacct").resolve(b),
                cg.resolve("memory/process_api/f11a").resolve(b), cg.resolve("pids").resolve(b));
        assertThat(read(cg.resolve("cpu,cpuacct").resolve(b).resolve("cpu.cfs_quota_us"))).isEqualTo("250000");
        assertThat(read(cg.resolve("cpu,cpuacct").resolve(b).resolve("cpu.cfs_period_us"))).isEqualTo("100000");
        assertThat(read(cg.resolve("cpu,cpuacct").resolve(b).resolve("cpu.shares"))).isEqualTo("2048");
        assertThat(read(cg.resolve("cpu,cpuacct/burrow-" + INSTANCE).resolve("cpu.shares")))
                .isEqualTo(Long.toString(Runtime.getRuntime().availableProcessors() * 1024L));
        assertThat(read(cg.resolve("memory/process_api/f11a").resolve(b).resolve("memory.limit_in_bytes")))
                .isEqualTo(Long.toString(LIMITS.memoryBytes()));
        assertThat(read(cg.resolve("pids").resolve(b).resolve("pids.max"))).isEqualTo(Long.toString(LIMITS.pidsMax()));
        assertThat(cg.resolve("unified/burrow-" + INSTANCE)).doesNotExist();
    }

    @Test
    void aMountOfASubtreeMapsBurrowdsPathRelativeToItsRoot() throws Exception {
        write(mountinfo, "30 22 0:26 /system.slice /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
        Path inMount = unified.resolve("burrowd.service");
        Files.createDirectories(inMount);
        write(inMount.resolve("cgroup.controllers"), "cpu memory pids");
        write(inMount.resolve("cgroup.procs"), SELF + "\n");

        VmCgroup vm = cgroups().create("vm1", LIMITS);

        assertThat(vm.dirs()).containsExactly(inMount.resolve("burrow-" + INSTANCE + "/vm1"));
    }

    @Test
    void aVmIdThatIsNotALabelIsRefusedBeforeAnyPathIsBuilt() throws Exception {
        Cgroups c = cgroups();

        assertThatThrownBy(() -> c.create("../escape", LIMITS)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.existing("a/b")).isInstanceOf(IllegalArgumentException.class);
    }
}
