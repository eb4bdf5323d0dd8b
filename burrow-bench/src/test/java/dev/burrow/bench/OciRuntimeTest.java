package dev.burrow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OciRuntime} against a fake runtime: a shell script answering the verbs as the test says. */
class OciRuntimeTest {

    @TempDir
    Path dir;

    private OciRuntime fake(String body) throws Exception {
        Path script = dir.resolve("fake-runtime");
        Files.writeString(script, "#!/bin/sh\n# $1 $2 are --root <dir>\nshift 2\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return new OciRuntime("fake", script.toString(), dir.resolve("state"), List.of());
    }

    @Test
    void anExecAnswersAtItsFirstByteAndItsWholeOutputIsChecked() throws Exception {
        OciRuntime rt = fake("[ \"$1 $2 $3 $4\" = 'exec c1 echo hi' ] && echo hi");
        long before = System.nanoTime();

        long at = rt.execToFirstStdout("c1", List.of("echo", "hi"), "hi\n");

        assertThat(at).isBetween(before, System.nanoTime());
    }

    @Test
    void anExecThatPrintsSomethingElseIsRefused() throws Exception {
        OciRuntime rt = fake("echo ho");

        assertThatThrownBy(() -> rt.execToFirstStdout("c1", List.of("echo", "hi"), "hi\n"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("printed ho");
    }

    @Test
    void aRuntimeThatFailsSaysSoWithWhatItWroteToStderr() throws Exception {
        OciRuntime rt = fake("echo 'container c1 does not exist' >&2; exit 3");

        assertThatThrownBy(() -> rt.execToFirstStdout("c1", List.of("echo", "hi"), "hi\n"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> rt.runDetached("c1", dir)).hasMessageContaining("exited 3");
    }

    @Test
    void aDetachedRunPassesTheBundleAndTheIdAndAForegroundRunIsTimedToItsFirstByte() throws Exception {
        OciRuntime rt = fake("[ \"$1 $2 $3 $4\" = 'run --detach --bundle " + dir + "' ] && [ \"$5\" = c1 ] && exit 0\n"
                + "[ \"$1 $2 $3 $4\" = 'run --bundle " + dir + " c2' ] && echo hi && exit 0\nexit 9");

        rt.runDetached("c1", dir);
        long before = System.nanoTime();
        assertThat(rt.runToFirstStdout("c2", dir, "hi\n")).isBetween(before, System.nanoTime());
    }

    @Test
    void theVersionIsTheFirstLineOfDashDashVersion() throws Exception {
        Path script = dir.resolve("v");
        Files.writeString(script, "#!/bin/sh\nprintf 'fake version 1.2\\nspec: 1.0\\n'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));

        assertThat(new OciRuntime("fake", script.toString(), dir.resolve("state"), List.of()).version()).isEqualTo("fake version 1.2");
    }
}
