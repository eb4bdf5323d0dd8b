package dev.burrow.daemon.microvms.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.images.InvalidRequestException;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.ExecEvent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** GuestFiles against a scripted builtin: streaming, the exit-code classes, uploads, and hostile guest output. */
class GuestFilesTest {

    private static final FileLimits FAST = new FileLimits(4096, 1024, 64, 128, 4, Duration.ofSeconds(1),
            Duration.ofMillis(300), Duration.ofMillis(10), Duration.ofMillis(20));

    /** A builtin whose events are scripted; it records what the host did to it. */
    static final class ScriptedRun implements BuiltinRun {
        final Deque<ExecEvent> events = new ArrayDeque<>();
        final ByteArrayOutputStream stdin = new ByteArrayOutputStream();
        List<String> argv;
        boolean stdinOpen;
        boolean stdinClosed;
        boolean killed;
        boolean closed;
        /** writeStdin fails once this many bytes were taken (the builtin ended early); -1 = never. */
        int failStdinAfter = -1;

        ScriptedRun then(ExecEvent e) {
            events.add(e);
            return this;
        }

        ScriptedRun out(String s) {
            return then(new ExecEvent.Stdout(s.getBytes(StandardCharsets.UTF_8)));
        }

        ScriptedRun err(String s) {
            return then(new ExecEvent.Stderr(s.getBytes(StandardCharsets.UTF_8)));
        }

        ScriptedRun exit(int code) {
            return then(new ExecEvent.Exit(code, 0));
        }

        @Override
        public ExecEvent next(Duration timeout) {
            return events.poll();
        }

        @Override
        public void writeStdin(byte[] data, int off, int len, Duration timeout) throws AgentException {
            if (failStdinAfter >= 0 && stdin.size() + len > failStdinAfter) {
                throw new AgentException("the exec ended");
            }
            stdin.write(data, off, len);
        }

        @Override
        public void closeStdin() {
            stdinClosed = true;
        }

        @Override
        public void kill() {
            killed = true;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** What a sink was given. */
    static final class Recorded implements GuestFiles.Sink {
        final List<String> calls = new ArrayList<>();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int idleBeforeEnd = Integer.MAX_VALUE;

        @Override
        public void begin() {
            calls.add("begin");
        }

        @Override
        public void write(byte[] data) {
            calls.add("write " + data.length);
            bytes.writeBytes(data);
        }

        @Override
        public boolean idle() {
            return --idleBeforeEnd > 0;
        }

        String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    private static GuestFiles files(ScriptedRun run) {
        return new GuestFiles((tenant, id, argv, stdin, requestId) -> {
            run.argv = argv;
            run.stdinOpen = stdin;
            return run;
        }, FAST);
    }

    @Test
    void aFileReadStreamsEachChunkOnceItHasBegun() throws Exception {
        ScriptedRun run = new ScriptedRun().then(new ExecEvent.Started(7)).out("ab").out("cd").exit(0);
        Recorded sink = new Recorded();
        files(run).read("t", "vm1", "/etc/hosts", "r1", sink);
        assertThat(sink.calls).containsExactly("begin", "write 2", "write 2");
        assertThat(sink.text()).isEqualTo("abcd");
        assertThat(run.argv).containsExactly("read", "/etc/hosts");
        assertThat(run.killed).isFalse();
        assertThat(run.closed).isTrue();
    }

    @Test
    void anEmptyFileBeginsAtItsExit() throws Exception {
        Recorded sink = new Recorded();
        files(new ScriptedRun().exit(0)).read("t", "vm1", "/empty", "r1", sink);
        assertThat(sink.calls).containsExactly("begin");
    }

    @Test
    void aReadThatFailsBeforeAnyByteIsTheGuestsErrorWithItsClass() {
        ScriptedRun run = new ScriptedRun().err("burrow: read /x: No such file or directory\n").exit(11);
        Recorded sink = new Recorded();
        assertThatThrownBy(() -> files(run).read("t", "vm1", "/x", "r1", sink))
                .isInstanceOfSatisfying(GuestFileException.class, e -> {
                    assertThat(e.kind()).isEqualTo(GuestFileException.Kind.NOT_FOUND);
                    assertThat(e.getMessage()).isEqualTo("burrow: read /x: No such file or directory");
                });
        assertThat(sink.calls).isEmpty();
    }

    @Test
    void everyExitCodeHasItsClass() {
        assertThat(List.of(10, 11, 12, 13, 14, 15, 16, 127, 1).stream().map(BuiltinExit::kind).toList()).containsExactly(
                GuestFileException.Kind.OTHER, GuestFileException.Kind.NOT_FOUND, GuestFileException.Kind.PERMISSION,
                GuestFileException.Kind.WRONG_TYPE, GuestFileException.Kind.EXISTS, GuestFileException.Kind.NO_SPACE,
                GuestFileException.Kind.INVALID, GuestFileException.Kind.UNSUPPORTED, GuestFileException.Kind.OTHER);
    }

    @Test
    @Tag("hostile")
    void aGuestMessageKeepsOneLineWithoutControlCharacters() {
        GuestFileException e = BuiltinExit.failure("rm", 10, 0, "burrow: rm \u001b[31mred\u0007\nsecond line\n".getBytes(StandardCharsets.UTF_8));
        assertThat(e.getMessage()).isEqualTo("burrow: rm ?[31mred?");
        assertThat(BuiltinExit.failure("rm", 0, 9, new byte[0]).getMessage()).isEqualTo("rm was killed by signal 9");
    }

    @Test
    void aReadThatFailsAfterItBeganIsCutNotEnded() {
        ScriptedRun run = new ScriptedRun().out("partial").err("burrow: read: Input/output error\n").exit(10);
        assertThatThrownBy(() -> files(run).read("t", "vm1", "/big", "r1", new Recorded()))
                .isInstanceOf(IOException.class).hasMessageContaining("Input/output error");
    }

    @Test
    void anAgentWithoutBuiltinsAsksForARebuild() {
        assertThatThrownBy(() -> files(new ScriptedRun().exit(127)).remove("t", "vm1", "/x", "r1"))
                .isInstanceOfSatisfying(GuestFileException.class, e -> {
                    assertThat(e.kind()).isEqualTo(GuestFileException.Kind.UNSUPPORTED);
                    assertThat(e.getMessage()).contains("rebuild the image version");
                });
        assertThatThrownBy(() -> files(new ScriptedRun().then(new ExecEvent.Failed("unknown builtin read"))).stat("t", "vm1", "/x", false, "r1"))
                .isInstanceOfSatisfying(GuestFileException.class, e -> assertThat(e.kind()).isEqualTo(GuestFileException.Kind.UNSUPPORTED));
    }

    @Test
    void aWriteSendsTheBodyAndItsLengthThenAnswersTheEntry() throws Exception {
        ScriptedRun run = new ScriptedRun().out("{\"path\":\"/a\",\"name\":\"a\",\"type\":\"file\",\"size\":5}\n").exit(0);
        Map<String, Object> entry = files(run).write("t", "vm1", "/a", null, 5L, new ByteArrayInputStream("hello".getBytes()), "r1");
        assertThat(entry).containsEntry("type", "file").containsEntry("size", 5);
        assertThat(run.argv).containsExactly("write", "/a", "-", "5");
        assertThat(run.stdinOpen).isTrue();
        assertThat(run.stdin.toString(StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(run.stdinClosed).isTrue();
        assertThat(run.killed).isFalse();
    }

    @Test
    void aBodyThatFailsToArriveKillsTheWriteSoNothingIsRenamedIntoPlace() {
        ScriptedRun run = new ScriptedRun();
        InputStream cut = new InputStream() {
            private int sent;

            @Override
            public int read() throws IOException {
                if (sent++ < 6) {
                    return 'x';
                }
                throw new IOException("the client went away");
            }
        };
        assertThatThrownBy(() -> files(run).write("t", "vm1", "/a", "600", null, cut, "r1"))
                .isInstanceOf(IOException.class).hasMessage("the client went away");
        assertThat(run.argv).containsExactly("write", "/a", "600");
        assertThat(run.killed).isTrue();
        assertThat(run.stdinClosed).isFalse();
        assertThat(run.closed).isTrue();
    }

    @Test
    void aWriteTheGuestRefusesEarlyAnswersWithItsError() {
        ScriptedRun run = new ScriptedRun().err("burrow: write /ro/a: Read-only file system\n").exit(12);
        run.failStdinAfter = 4;
        assertThatThrownBy(() -> files(run).write("t", "vm1", "/ro/a", null, null, new ByteArrayInputStream(new byte[100]), "r1"))
                .isInstanceOfSatisfying(GuestFileException.class, e -> {
                    assertThat(e.kind()).isEqualTo(GuestFileException.Kind.PERMISSION);
                    assertThat(e.getMessage()).contains("Read-only file system");
                });
    }

    @Test
    void listLinesAreReassembledAndReencoded() throws Exception {
        ScriptedRun run = new ScriptedRun().out("{\"name\":  \"a\"}\n{\"na").out("me\":\"b\"}\n\n").exit(0);
        Recorded sink = new Recorded();
        files(run).list("t", "vm1", "/d", "r1", sink);
        assertThat(sink.text()).isEqualTo("{\"name\":\"a\"}\n{\"name\":\"b\"}\n");
    }

    @Test
    @Tag("hostile")
    void aGuestLineThatIsNotOneJsonObjectEndsTheStream() {
        for (String bad : List.of("not json\n", "[1,2]\n", "{\"a\":1} {\"b\":2}\n", "{\"a\":1}")) {
            ScriptedRun run = new ScriptedRun().out(bad).exit(0);
            assertThatThrownBy(() -> files(run).list("t", "vm1", "/d", "r1", new Recorded())).as(bad).isInstanceOf(IOException.class);
        }
    }

    @Test
    @Tag("hostile")
    void aGuestLineLongerThanTheLimitEndsTheStream() {
        ScriptedRun run = new ScriptedRun().out("{\"a\":\"" + "x".repeat(40)).out("x".repeat(40)).exit(0);
        assertThatThrownBy(() -> files(run).list("t", "vm1", "/d", "r1", new Recorded()))
                .isInstanceOf(IOException.class).hasMessageContaining("longer than 64 bytes");
        assertThat(run.killed).isTrue();
    }

    @Test
    @Tag("hostile")
    void aSmallAnswerLargerThanTheLimitIsRefused() {
        ScriptedRun run = new ScriptedRun().out("{\"a\":\"" + "x".repeat(2000) + "\"}").exit(0);
        assertThatThrownBy(() -> files(run).stat("t", "vm1", "/x", false, "r1"))
                .isInstanceOfSatisfying(GuestFileException.class, e -> assertThat(e.getMessage()).contains("more than 1024 bytes"));
    }

    @Test
    void aSmallOperationThatNeverEndsIsKilledAtItsTimeout() {
        ScriptedRun run = new ScriptedRun();
        assertThatThrownBy(() -> files(run).mkdir("t", "vm1", "/d", null, "r1"))
                .isInstanceOfSatisfying(GuestFileException.class, e -> assertThat(e.getMessage()).contains("did not finish"));
        assertThat(run.killed).isTrue();
        assertThat(run.closed).isTrue();
    }

    @Test
    void aWatchEndsWhenItsSinkSaysSoAndKillsTheBuiltin() throws Exception {
        ScriptedRun run = new ScriptedRun().out("{\"op\":\"ready\",\"path\":\"/w\",\"isDir\":true}\n");
        Recorded sink = new Recorded();
        sink.idleBeforeEnd = 3;
        files(run).watch("t", "vm1", "/w", true, "r1", sink);
        assertThat(run.argv).containsExactly("watch", "/w", "recursive");
        assertThat(sink.text()).isEqualTo("{\"op\":\"ready\",\"path\":\"/w\",\"isDir\":true}\n");
        assertThat(run.killed).isTrue();
    }

    @Test
    void pathsAreAbsoluteWithoutNulAndBounded() {
        GuestFiles f = files(new ScriptedRun());
        assertThat(f.checkPath("path", "/../../etc/passwd")).isEqualTo("/../../etc/passwd");
        for (String bad : new String[] {null, "", "etc/passwd", "/a\0b", "/" + "é".repeat(2048)}) {
            assertThatThrownBy(() -> f.checkPath("path", bad)).as(String.valueOf(bad))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("path"));
        }
        assertThat(f.checkPath("to", "/" + "a".repeat(4095))).hasSize(4096);
    }

    @Test
    void aModeIsThreeOrFourOctalDigits() throws Exception {
        ScriptedRun run = new ScriptedRun().out("{\"type\":\"dir\"}").exit(0);
        files(run).mkdir("t", "vm1", "/d", "0750", "r1");
        assertThat(run.argv).containsExactly("mkdir", "/d", "0750");
        for (String bad : List.of("75", "0758", "rwx", "07777")) {
            assertThatThrownBy(() -> files(new ScriptedRun()).mkdir("t", "vm1", "/d", bad, "r1")).as(bad)
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("mode"));
        }
    }
}
