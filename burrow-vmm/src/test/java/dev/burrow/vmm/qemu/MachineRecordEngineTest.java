package dev.burrow.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.SuspendMode;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.qemu.internal.QemuArgs;
import dev.burrow.vmm.testing.EngineFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A template made by an earlier Burrow, with the machine options it booted with, still restores
 * under real QEMU after today's options changed (docs/adr/0040-idle-density.md): the restore
 * starts QEMU with the options the template records, and a suspend of that microVM records them
 * again. The "earlier Burrow" is this engine booting through a QEMU wrapper that swaps in
 * {@link QemuArgs#UNRECORDED_MACHINE} while a flag file exists (the wrapper is why the engine runs unjailed).
 */
class MachineRecordEngineTest {

    private static final Duration T = Duration.ofSeconds(60);
    private static EngineFixture fx;
    private static Template earlier;

    @BeforeAll
    static void templateMadeWithEarlierOptions() throws Exception {
        Path dir = Files.createTempDirectory("burrow-machine-record-");
        Path flag = dir.resolve("boot-machine");
        Files.writeString(flag, QemuArgs.UNRECORDED_MACHINE);
        Path wrapper = dir.resolve("qemu");
        Files.writeString(wrapper, """
                #!/bin/sh
                # while FLAG exists, QEMU starts with its machine options instead of the -M it was given
                if [ -f FLAG ]; then
                  m=$(cat FLAG); prev=; first=1
                  for a in "$@"; do
                    if [ -n "$first" ]; then set --; first=; fi
                    if [ "$prev" = "-M" ]; then a="$m"; fi
                    set -- "$@" "$a"; prev="$a"
                  done
                fi
                exec /usr/bin/qemu-system-x86_64 "$@"
                """.replace("FLAG", flag.toString()));
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        fx = EngineFixture.create(MachineSpec.DEFAULT, c -> c.withJail(false).withQemuBinary(wrapper.toString()));
        Files.delete(flag); // from here on QEMU starts with what the engine asks for
        Template t = fx.template;
        earlier = new Template(t.id(), t.machine(), t.profile().withMachine(QemuArgs.UNRECORDED_MACHINE), t.createdAt(),
                t.memoryFile(), t.stateFile(), t.diskFile(), t.pristineOverlayFile(), t.deltaFile(), t.deltaIndexFile(), t.dir());
    }

    @AfterAll
    static void close() {
        if (fx != null) {
            fx.engine.close();
        }
    }

    @Test
    void aTemplateRecordedWithEarlierOptionsRestoresWithThemAndItsSuspendKeepsThem() throws Exception {
        MicroVm vm = fx.engine.restore(earlier, QemuHypervisor.newVmId(), Identity.fresh("earlier"));
        try {
            assertThat(vm.agent().run(ExecRequest.of("echo", "up"), T).stdoutText()).isEqualTo("up\n");
            assertThat(machineOptionsOf(vm.pid())).isEqualTo(QemuArgs.UNRECORDED_MACHINE);

            Template saved = fx.engine.suspend(vm, SuspendMode.END_VMM);

            assertThat(saved.profile().machine()).isEqualTo(QemuArgs.UNRECORDED_MACHINE);
            assertThat(Template.load(saved.dir()).profile().machine()).isEqualTo(QemuArgs.UNRECORDED_MACHINE);
            MicroVm resumed = fx.engine.restore(saved, vm.id(), Identity.fresh("earlier"));
            try {
                assertThat(resumed.agent().run(ExecRequest.of("echo", "again"), T).stdoutText()).isEqualTo("again\n");
                assertThat(machineOptionsOf(resumed.pid())).isEqualTo(QemuArgs.UNRECORDED_MACHINE);
            } finally {
                resumed.close();
            }
        } finally {
            vm.close();
        }
    }

    @Test
    void theSameTemplateRecordedWithTodaysOptionsWouldNotRestore() {
        assertThat(QemuArgs.MACHINE).as("today's options differ from the earlier ones").isNotEqualTo(QemuArgs.UNRECORDED_MACHINE);

        // what an engine that restored every template with today's options did: the device state does not fit
        assertThatThrownBy(() -> fx.engine.restore(fx.template, QemuHypervisor.newVmId(), Identity.fresh("today")).close())
                .isInstanceOf(VmmException.class);
    }

    /** The -M argument of a running QEMU, from its command line. */
    private static String machineOptionsOf(long pid) throws Exception {
        List<String> argv = Arrays.asList(Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).split("\0"));
        return argv.get(argv.indexOf("-M") + 1);
    }
}
