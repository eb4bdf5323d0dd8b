package dev.burrow.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.testing.EngineFixture;
import dev.burrow.vmm.testing.Restores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The engine against real QEMU, a real Debian kernel and a busybox ext4 root. */
class EngineTest {

    private static final Duration T = Duration.ofSeconds(30);
    private static EngineFixture fx;
    @RegisterExtension
    final Restores vms = new Restores();

    @BeforeAll
    static void template() throws Exception {
        fx = EngineFixture.get();
    }

    private MicroVm restore() throws Exception {
        return vms.restore();
    }

    private static ExecResult run(MicroVm vm, String... argv) throws Exception {
        return vm.agent().run(ExecRequest.of(argv), T);
    }

    @Test
    void twoMicroVmsRestoredFromOneTemplateRunCommandsIndependently() throws Exception {
        MicroVm a = restore();
        MicroVm b = restore();

        ExecResult echo = run(a, "echo", "hello from a");
        assertThat(echo.exitCode()).isZero();
        assertThat(echo.stdoutText()).isEqualTo("hello from a\n");
        assertThat(run(b, "echo", "hello from b").stdoutText()).isEqualTo("hello from b\n");

        ExecResult split = run(a, "sh", "-c", "echo to-out; echo to-err >&2; exit 3");
        assertThat(split.stdoutText()).isEqualTo("to-out\n");
        assertThat(split.stderrText()).isEqualTo("to-err\n");
        assertThat(split.exitCode()).isEqualTo(3);

        ExecResult missing = run(b, "no-such-command", "x");
        assertThat(missing.exitCode()).isEqualTo(127);
        assertThat(missing.stderrText()).contains("no-such-command");
        assertThat(missing.stdout()).isEmpty();

        assertThat(run(a, "sh", "-c", "echo secret > /root/only-in-a && sync").exitCode()).isZero();
        assertThat(run(a, "cat", "/root/only-in-a").stdoutText()).isEqualTo("secret\n");
        assertThat(run(b, "test", "-e", "/root/only-in-a").exitCode()).isEqualTo(1);
    }

    @Test
    void stdinIsDeliveredToTheCommand() throws Exception {
        MicroVm vm = restore();
        ExecSession s = vm.agent().exec(ExecRequest.of("sh", "-c", "tr a-z A-Z; echo done").withStdin());
        byte[] input = "ping through stdin\n".getBytes(StandardCharsets.UTF_8);
        s.writeStdin(input, 0, input.length, T);
        s.closeStdin();
        ExecResult r = s.await(T);
        assertThat(r.stdoutText()).isEqualTo("PING THROUGH STDIN\ndone\n");
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void everyRestoreGetsItsOwnHostnameMachineIdAndRandomness() throws Exception {
        MicroVm a = restore();
        MicroVm b = restore();
        assertThat(run(a, "hostname").stdoutText().strip()).isEqualTo(a.id());
        assertThat(run(b, "hostname").stdoutText().strip()).isEqualTo(b.id());

        String idA = run(a, "cat", "/etc/machine-id").stdoutText().strip();
        String idB = run(b, "cat", "/etc/machine-id").stdoutText().strip();
        assertThat(idA).matches("[0-9a-f]{32}").isNotEqualTo(idB).isNotEqualTo("0".repeat(32));

        // the template's CRNG state was copied into both; only the forced reseed separates them
        String rndA = run(a, "sh", "-c", "head -c 32 /dev/urandom | od -An -tx1").stdoutText();
        String rndB = run(b, "sh", "-c", "head -c 32 /dev/urandom | od -An -tx1").stdoutText();
        assertThat(rndA).isNotBlank().isNotEqualTo(rndB);

        long guestSeconds = Long.parseLong(run(a, "date", "+%s").stdoutText().strip());
        assertThat(Math.abs(guestSeconds - System.currentTimeMillis() / 1000)).isLessThan(30);
    }

    @Test
    void aBackgroundProcessOutlivesItsExecAndTheExecEndsWithItsMainProcess() throws Exception {
        MicroVm vm = restore();
        // the background sleep keeps the exec's stdout and stderr open; the exec must end anyway
        ExecResult started = vm.agent().run(ExecRequest.of("sh", "-c", "sleep 1000 & echo started"), Duration.ofSeconds(10));
        assertThat(started.stdoutText()).isEqualTo("started\n");
        assertThat(started.exitCode()).isZero();

        ExecResult ps = run(vm, "pidof", "sleep");
        assertThat(ps.exitCode()).isZero();
        assertThat(ps.stdoutText().strip()).matches("\\d+");
    }

    @Test
    void aSignalEndsTheExecAndIsReported() throws Exception {
        MicroVm vm = restore();
        ExecSession s = vm.agent().exec(ExecRequest.of("sleep", "1000"));
        assertThat(s.next(T)).isInstanceOf(ExecEvent.Started.class);
        s.signal(15);
        ExecResult r = s.await(T);
        assertThat(r.signal()).isEqualTo(15);
        assertThat(r.exitCode()).isEqualTo(128 + 15);
    }

    @Test
    void aDestroyedMicroVmLeavesNoProcessSocketOrFileBehind() throws Exception {
        MicroVm vm = fx.restore();
        long pid = vm.pid();
        Path dir = vm.dir();
        Path sockets = fx.engine.config().runDir().resolve(vm.id());
        assertThat(vm.isAlive()).isTrue();
        assertThat(sockets.resolve("agent.sock")).exists();

        vm.close();

        assertThat(vm.isAlive()).isFalse();
        assertThat(Path.of("/proc", Long.toString(pid))).doesNotExist();
        assertThat(dir).doesNotExist();
        assertThat(sockets).doesNotExist();
        assertThat(processesNamed(fx.engine.config().instanceId() + "/" + vm.id())).isEmpty();
    }

    @Test
    void aRestoredMicroVmSnapshotsAndRestoresWithItsFilesAndProcesses() throws Exception {
        MicroVm vm = fx.restore();
        assertThat(run(vm, "sh", "-c", "echo kept > /root/state && sleep 1000 & echo $!").exitCode()).isZero();
        String pid = run(vm, "pidof", "sleep").stdoutText().strip();
        Path saved = fx.dataDir.resolve("templates").resolve("saved-" + vm.id());
        Template t = fx.engine.snapshot(vm, saved);
        assertThat(vm.isAlive()).isFalse();
        // a privately mapped microVM carries its RAM in the state stream
        assertThat(t.memory()).isNull();

        MicroVm back = fx.engine.restore(t, vm.id() + "b", Identity.fresh(vm.id() + "b"));
        vms.track(back);
        assertThat(run(back, "cat", "/root/state").stdoutText()).isEqualTo("kept\n");
        assertThat(run(back, "pidof", "sleep").stdoutText().strip()).isEqualTo(pid);
        assertThat(run(back, "hostname").stdoutText().strip()).isEqualTo(back.id());
    }

    @Test
    void aSuspendedMicroVmResumesWithItsMemoryFilesAndProcessesAndSavingCostsWhatItDirtied() throws Exception {
        MicroVm vm = fx.restore();
        ExecResult dirty = run(vm, "sh", "-c", "sleep 1000 & echo $! > /tmp/bgpid; mount -o remount,size=90% /dev/shm;"
                + " yes burrow | head -c 20971520 > /dev/shm/fill && md5sum /dev/shm/fill > /root/sum");
        assertThat(dirty.exitCode()).as(dirty.stderrText()).isZero();
        Path dir = fx.dataDir.resolve("templates").resolve("suspended-" + vm.id());

        Template t = fx.engine.suspend(vm, dir);

        assertThat(vm.isAlive()).isFalse();
        long dirtiedBytes = t.deltaBytes();
        // the 20 MiB written plus what the kernel and the commands touched, not the 512 MiB guest
        assertThat(dirtiedBytes).isBetween(20L << 20, 96L << 20);
        assertThat(Files.size(t.state())).isLessThan(1 << 20);
        assertThat(t.memory()).isEqualTo(fx.template.memory());

        MicroVm back = fx.engine.restore(t, vm.id() + "r", Identity.fresh(vm.id() + "r"));
        vms.track(back);
        assertThat(run(back, "md5sum", "-c", "/root/sum").exitCode()).isZero();
        assertThat(run(back, "sh", "-c", "kill -0 $(cat /tmp/bgpid)").exitCode()).isZero();
    }

    @Test
    void aWarmVmmIsHandedOutByRestoreAndThePoolRefills() throws Exception {
        Template t = fx.template;
        try {
            fx.engine.keepWarm(t, 1);
            awaitWarm(t, 1);
            MicroVm vm = fx.engine.restore(t, Identity::fresh);
            vms.track(vm);
            assertThat(vm.id()).matches("vm[0-9a-z]{24}");
            assertThat(run(vm, "hostname").stdoutText().strip()).isEqualTo(vm.id());
            assertThat(processesNamed(fx.engine.config().instanceId() + "/" + vm.id())).hasSize(2); // jailer + VMM
            awaitWarm(t, 1);
        } finally {
            fx.engine.keepWarm(t, 0);
        }
        assertThat(fx.engine.warmReady(t)).isZero();
        assertThat(EngineTest.processesNamed(fx.engine.config().instanceId() + "/vm")).hasSize(2); // only the one restored above
    }

    @Test
    void droppingATemplatesWarmVmmsEndsEveryOneBeforeItReturns() throws Exception {
        Template t = fx.template;
        fx.engine.keepWarm(t, 2);
        awaitWarm(t, 1); // the second may still be starting: drop waits for it

        fx.engine.dropWarm(t);

        assertThat(fx.engine.warmReady(t)).isZero();
        assertThat(processesNamed(fx.engine.config().instanceId() + "/vm")).isEmpty();
    }

    private static void awaitWarm(Template t, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (fx.engine.warmReady(t) < n) {
            assertThat(System.nanoTime()).as("warm pool filled within 30 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void aTemplateFromAnotherHostIsRefusedWithTheReason() {
        Template t = fx.template;
        HostProfile p = t.profile();
        Template foreign = new Template(t.id(), t.machine(),
                new HostProfile(p.vmm(), "1.0.0", p.machine(), p.cpuModel(), p.accelerator(), p.kernel(), p.agentProtocol()),
                t.createdAt(), t.memoryFile(), t.stateFile(), t.diskFile(), t.pristineOverlayFile(), null, null, t.dir());
        assertThatThrownBy(() -> fx.engine.restore(foreign, "foreign1", Identity.fresh("foreign1")))
                .isInstanceOf(TemplateMismatchException.class)
                .hasMessageContaining("VMM version was 1.0.0");
        assertThat(fx.dataDir.resolve("vms/foreign1")).doesNotExist();
    }

    @Test
    void theTemplateRecordsWhatARestoreNeeds() throws Exception {
        Template loaded = Template.load(fx.template.dir());
        assertThat(loaded.profile()).isEqualTo(fx.engine.profile());
        assertThat(loaded.profile().vmmVersion()).matches("\\d+\\.\\d+.*");
        assertThat(loaded.profile().kernel()).startsWith("linux-image-");
        assertThat(Files.size(loaded.state())).isLessThan(1 << 20);
    }

    static List<String> processesNamed(String needle) throws Exception {
        List<String> found = new ArrayList<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(d.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                    String stat = Files.readString(d.resolve("stat"));
                    boolean zombie = stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
                    if (cmd.contains(needle) && !zombie) {
                        found.add(d.getFileName() + ": " + cmd);
                    }
                } catch (Exception gone) {
                    // raced with exit
                }
            }
        }
        return found;
    }
}
