package dev.burrow.vmm.qemu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.Accelerator;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.internal.GuestBinaries;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * burrow-jailer keeps what the VMM writes to fd 3 (the serial console) in a ring of two files:
 * however much a guest prints, the console stays within its bound and keeps the newest output.
 */
class ConsoleRingTest {

    private static final long RING = 65536;

    @TempDir
    Path tmp;

    @Test
    @Tag("hostile")
    void aChattyConsoleStaysWithinItsRingAndKeepsTheNewestLines() throws Exception {
        Path jailer = GuestBinaries.extract(GuestBinaries.JAILER, tmp.resolve("bin"));
        Path console = tmp.resolve("console.log");
        // 20 000 numbered lines (~190 KB), three times the ring
        Process p = new ProcessBuilder(List.of(jailer.toString(), "--name", "t", "--pid-file", tmp.resolve("pid").toString(),
                "--stdout", tmp.resolve("out").toString(), "--stderr", tmp.resolve("err").toString(),
                "--console", console.toString(), "--console-bytes", Long.toString(RING), "--",
                "/bin/sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo line$i; i=$((i+1)); done >&3"))
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();

        Path older = tmp.resolve("console.log.1");
        assertThat(Files.size(console)).isLessThanOrEqualTo(RING / 2);
        assertThat(Files.size(older)).isEqualTo(RING / 2);
        String both = Files.readString(older) + Files.readString(console);
        assertThat(both).endsWith("line19998\nline19999\n");
        // contiguous: from the first whole line on, every number follows the one before
        List<String> lines = List.of(both.substring(both.indexOf('\n') + 1).split("\n"));
        int first = Integer.parseInt(lines.getFirst().substring(4));
        for (int i = 0; i < lines.size(); i++) {
            assertThat(lines.get(i)).isEqualTo("line" + (first + i));
        }
        assertThat(first).isGreaterThan(10_000);
    }

    @Test
    void theVmmGetsTheConsolePipeAsFd3AndQemuWritesTheSerialThere() {
        assertThat(QemuArgs.CONSOLE_FD).isEqualTo(3); // burrow-jailer's CONSOLE_FD
        List<String> argv = QemuArgs.build("qemu", "n", Accelerator.TCG, 64, 0,
                new MachineSpec(1, 256), new QemuArgs.Files(Path.of("k"), Path.of("i"), Path.of("m"), false,
                        Path.of("d"), tmp.resolve("console.log"), Path.of("q"), Path.of("a"), false, false, QemuArgs.MACHINE));
        assertThat(String.join(" ", argv)).contains("-add-fd fd=3,set=3 -chardev file,id=console,path=/dev/fdset/3,append=on -serial chardev:console").doesNotContain("console.log");
    }
}
