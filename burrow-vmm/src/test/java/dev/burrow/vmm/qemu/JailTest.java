package dev.burrow.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.jail.Cgroups;
import dev.burrow.vmm.jail.JailIds;
import dev.burrow.vmm.jail.VmCgroup;
import dev.burrow.vmm.qemu.internal.QcowImages;
import dev.burrow.vmm.qemu.internal.QemuArgs;
import dev.burrow.vmm.testing.EngineFixture;
import dev.burrow.vmm.testing.Restores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What a jailed VMM can reach, checked from the host against real QEMU (docs/adr/0017-the-jail.md). */
@Tag("security")
class JailTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final List<String> NAMESPACES = List.of("mnt", "pid", "ipc", "uts", "net");
    private static EngineFixture fx;
    @RegisterExtension
    final Restores vms = new Restores();

    @BeforeAll
    static void template() throws Exception {
        fx = EngineFixture.get();
    }

    private JailIds.Ids ids(MicroVm vm) {
        return JailIds.forInstance(fx.engine.config().instanceId()).recorded(vm.dir()).orElseThrow();
    }

    @Test
    void theVmmRunsAsTheMicroVmsOwnNonRootUidAndGidWithOnlyTheVmmGroup() throws Exception {
        MicroVm vm = vms.restore();
        JailIds.Ids ids = ids(vm);
        Map<String, String> status = status(vm.pid());

        assertThat(ids.uid()).isGreaterThanOrEqualTo(JailIds.FIRST_BASE);
        assertThat(status.get("Uid").split("\\s+")).containsOnly(Long.toString(ids.uid()));
        assertThat(status.get("Gid").split("\\s+")).containsOnly(Long.toString(ids.gid()));
        assertThat(status.get("Groups").trim()).isEqualTo(Long.toString(ids.group()));
        assertThat(ids(vms.restore()).uid()).isNotEqualTo(ids.uid());
    }

    @Test
    void noNewPrivilegesAndQemusSeccompFilterAreOn() throws Exception {
        Map<String, String> status = status(vms.restore().pid());
        assertThat(status.get("NoNewPrivs")).isEqualTo("1");
        assertThat(status.get("Seccomp")).isEqualTo("2");
    }

    @Test
    void itsNamespacesDifferFromTheDaemonsAndFromAnotherMicroVms() throws Exception {
        MicroVm a = vms.restore();
        MicroVm b = vms.restore();
        for (String ns : NAMESPACES) {
            Path own = Files.readSymbolicLink(Path.of("/proc", Long.toString(a.pid()), "ns", ns));
            assertThat(own).as(ns).isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns", ns)));
            assertThat(own).as(ns).isNotEqualTo(Files.readSymbolicLink(Path.of("/proc", Long.toString(b.pid()), "ns", ns)));
        }
    }

    @Test
    void itsRootHoldsItsOwnFilesTheTemplatesAndTheSystemsReadOnlyFilesAndNothingElse() throws Exception {
        MicroVm a = vms.restore();
        MicroVm b = vms.restore();
        Path root = Path.of("/proc", Long.toString(a.pid()), "root", "."); // "." : into the magic link, not the link itself
        Template t = fx.template;
        Set<Path> expected = new HashSet<>(List.of(Path.of("/etc/ld.so.cache"), Path.of("/dev/null"), Path.of("/dev/urandom"),
                Path.of("/bin"), Path.of("/lib"), Path.of("/lib64"), Path.of("/sbin"),
                t.memory(), t.disk(), a.dir().resolve("disk.qcow2")));
        expected.addAll(QcowImages.chain(t.disk()));
        try (Stream<Path> boot = Files.list(fx.dataDir.resolve(QemuHypervisor.BOOT_FILES))) {
            boot.filter(p -> !p.toString().endsWith(".tmp")).forEach(expected::add);
        }
        Path sockets = fx.engine.config().runDir().resolve(a.id());

        List<Path> found = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root)) {
            all.filter(p -> !p.startsWith(root.resolve("usr")) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .map(p -> Path.of("/").resolve(root.relativize(p)))
                    .forEach(found::add);
        }
        assertThat(found).allSatisfy(p -> assertThat(expected.contains(p) || p.startsWith(sockets)).as(p.toString()).isTrue());
        assertThat(found).containsAll(List.of(t.memory(), a.dir().resolve("disk.qcow2"), Path.of("/dev/urandom")));
        assertThat(found).noneMatch(p -> p.toString().contains(b.id()));
        assertThat(found).noneMatch(p -> p.startsWith("/home") || p.startsWith("/root") || p.startsWith("/var"));
        assertThat(found).noneMatch(p -> p.getFileName().toString().equals("vmm.pid") || p.getFileName().toString().equals(JailIds.SLOT_FILE));
    }

    @Test
    void asOneMicroVmsUidAnotherMicroVmsDiskAndSocketsCannotBeOpened() throws Exception {
        MicroVm a = vms.restore();
        MicroVm b = vms.restore();
        JailIds.Ids ids = ids(a);
        // hard links keep the inode's owner and mode, so only B's file modes stand between A and them
        Path probe = Files.createTempDirectory(fx.dataDir.getParent(), "burrow-jail-probe-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        try {
            Files.setPosixFilePermissions(probe, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path disk = Files.createLink(probe.resolve("disk"), b.dir().resolve("disk.qcow2"));
            assertThat(asUid(ids, "cat " + disk + " > /dev/null")).contains("Permission denied");
            assertThat(asUid(ids, "echo x >> " + disk)).contains("Permission denied");
            assertThat(asUid(ids, "ls " + fx.engine.config().runDir().resolve(b.id()))).contains("Permission denied");
        } finally {
            FileTrees.deleteQuietly(probe);
        }
        assertThat(b.agent().run(ExecRequest.of("echo", "fine"), DEADLINE).stdoutText()).isEqualTo("fine\n");
    }

    @Test
    void theTemplatesFilesBelongToRootAndTheVmmGroupAndItsMemoryIsGroupWritableOnlyWhereQemuNeedsIt() throws Exception {
        long group = JailIds.forInstance(fx.engine.config().instanceId()).group();
        boolean writable = !QemuArgs.privateMappingOpensReadOnly(fx.engine.profile().vmmVersion());
        Template t = fx.template;
        assertThat(owner(t.disk())).isEqualTo("0:" + group + ":rw-r-----");
        assertThat(owner(t.memory())).isEqualTo("0:" + group + (writable ? ":rw-rw----" : ":rw-r-----"));
    }

    @Test
    @Tag("hostile")
    void aVmmThatTriesToSpawnIsKilledByItsSeccompFilter() throws Exception {
        QemuMicroVm vm = (QemuMicroVm) vms.restore();
        long t0 = System.nanoTime();
        try {
            vm.qmp().execute("migrate", Map.of("uri", "exec:true"), Duration.ofSeconds(5));
        } catch (VmmException expected) {
            // the VMM may die before it answers
        }
        awaitDeath(vm);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(vm.process().exitStatus()).as("jailer's report of the VMM's end").contains(128 + 31); // SIGSYS
        System.out.println("seccomp: the VMM was dead " + millis + " ms after the spawning migrate was sent");
    }

    @Test
    void aSigtermFromTheDaemonEndsAVmmThatIsPid1OfItsNamespace() throws Exception {
        QemuMicroVm vm = (QemuMicroVm) vms.restore();
        assertThat(status(vm.pid()).get("NSpid").split("\\s+")).endsWith("1");
        ProcessHandle.of(vm.pid()).orElseThrow().destroy();
        awaitDeath(vm);
    }

    @Test
    void closingAMicroVmRemovesItsJailRootAndFreesItsSlot() throws Exception {
        MicroVm vm = vms.restore();
        JailIds.Ids ids = ids(vm);
        Path root = QemuHypervisor.jailRoot(fx.engine.config().runDir(), vm.id());
        assertThat(root).isEmptyDirectory(); // the tmpfs is in the VMM's mount namespace only
        vm.close();
        assertThat(root).doesNotExist();
        MicroVm next = vms.restore();
        assertThat(ids(next).slot()).isLessThanOrEqualTo(ids.slot());
    }

    @Test
    void theVmmRunsInItsOwnCgroupForCpuMemoryAndPidsFromItsFirstInstructionAndTheCgroupGoesWithIt() throws Exception {
        MicroVm vm = vms.restore();
        String own = "/burrow-" + fx.engine.config().instanceId() + "/" + vm.id();
        List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(vm.pid()), "cgroup"));
        for (String controller : Cgroups.CONTROLLERS) {
            // v1: "N:cpu,cpuacct:/…/burrow-<inst>/<vmId>"; v2: "0::/…/burrow-<inst>/<vmId>"
            assertThat(lines).as(controller).anySatisfy(l -> {
                String[] f = l.split(":", 3);
                assertThat(f[1].isEmpty() || List.of(f[1].split(",")).contains(controller)).isTrue();
                assertThat(f[2]).endsWith(own);
            });
        }
        VmCgroup cgroup = Cgroups.forHost(fx.engine.config().instanceId()).existing(vm.id()).orElseThrow();
        assertThat(cgroup.processes()).contains(vm.pid());
        vm.close();
        assertThat(cgroup.dirs()).allSatisfy(d -> assertThat(d).doesNotExist());
    }

    /** Waits until the VMM is gone and its jailer has reported how it ended. */
    private static void awaitDeath(QemuMicroVm vm) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (vm.isAlive() || vm.process().exitStatus().isEmpty()) {
            assertThat(System.nanoTime()).as("the VMM ended within " + DEADLINE).isLessThan(deadline);
            Thread.sleep(2);
        }
    }

    /** Runs {@code script} with {@code ids} (no capabilities) and gives its stderr. */
    private static String asUid(JailIds.Ids ids, String script) throws Exception {
        Process p = new ProcessBuilder("setpriv", "--reuid=" + ids.uid(), "--regid=" + ids.gid(), "--groups=" + ids.group(),
                "--inh-caps=-all", "--bounding-set=-all", "--", "/bin/sh", "-c", script)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes());
        assertThat(p.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(script + ": " + err).isNotZero();
        return err;
    }

    private static String owner(Path p) throws IOException {
        return Files.getAttribute(p, "unix:uid") + ":" + Files.getAttribute(p, "unix:gid") + ":"
                + PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static Map<String, String> status(long pid) throws IOException {
        Map<String, String> out = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            int colon = line.indexOf(':');
            out.put(line.substring(0, colon), line.substring(colon + 1).trim());
        }
        return out;
    }
}
