package dev.burrow.vmm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.agent.internal.ExecFlags;
import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.Payload;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's side of the layer builtins (agent 0.6.0), against a scripted guest. */
class GuestLayersTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path tmp;
    private FakeGuest g;

    @AfterEach
    void close() throws Exception {
        if (g != null) {
            g.close();
        }
    }

    private interface Call<T> {
        T run() throws Exception;
    }

    private static <T> CompletableFuture<T> async(Call<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(call.run());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    private static Throwable failureOf(CompletableFuture<?> f) throws Exception {
        try {
            f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure");
    }

    private void greetedBy(String agentVersion) throws Exception {
        g = new FakeGuest(tmp, "layers", AgentEvents.NONE, AgentLimits.defaults());
        CompletableFuture<HelloAck> ack = async(() -> g.host.hello(Identity.fresh("layers"), WAIT));
        long nonce = Payload.reader(nextFromHost(Frame.HELLO)).u64();
        g.send(new Frame(Frame.HELLO_ACK, 0, Payload.writer().u64(nonce).u32(AgentConnection.PROTOCOL_VERSION).str(agentVersion)
                .u32(0).str("").u8(0).u32(0).u32(0).toBytes()));
        assertThat(ack.get(WAIT.toSeconds(), TimeUnit.SECONDS).agentVersion()).isEqualTo(agentVersion);
    }

    private Frame nextFromHost(int type) throws InterruptedException {
        Frame f;
        do {
            f = g.fromHost.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(f).as("a frame of type " + Frame.typeName(type) + " from the host").isNotNull();
        } while (f.type() != type);
        return f;
    }

    /** Takes the host's EXEC, checks it names the builtin as root, and answers STARTED; returns the stream. */
    private int startedBuiltin(String name, boolean stdin) throws Exception {
        Frame exec = nextFromHost(Frame.EXEC);
        Payload.Reader r = Payload.reader(exec);
        assertThat(r.i32()).isEqualTo(ExecFlags.BUILTIN | (stdin ? ExecFlags.STDIN : 0));
        assertThat(r.str()).isEmpty();
        r.str();
        assertThat(r.strs()).containsExactly(name);
        g.started(exec.stream());
        return exec.stream();
    }

    private static Frame stderr(int stream, String text) {
        return new Frame(Frame.STDERR, stream, text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aDiffStreamsTheTarToTheCallerAsItArrivesAndReadsItsCountsFromTheLastStderrLine() throws Exception {
        greetedBy("0.6.0");
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        CompletableFuture<GuestLayers.DiffStats> diff = async(() -> GuestLayers.diff(g.host, tar, WAIT));
        int s = startedBuiltin("layer-diff", false);
        byte[] first = new byte[1000];
        Arrays.fill(first, (byte) 'a');
        g.send(new Frame(Frame.STDOUT, s, first));
        g.send(FakeGuest.stdout(s, "the rest"));
        g.send(stderr(s, "burrow: layer-diff: /proc-like: left out\n{\"entries\":7,"));
        g.send(stderr(s, "\"whiteouts\":2}\n"));
        g.exit(s, 0);

        GuestLayers.DiffStats stats = diff.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(stats).isEqualTo(new GuestLayers.DiffStats(1008, 7, 2, "burrow: layer-diff: /proc-like: left out"));
        assertThat(tar.toByteArray()).hasSize(1008).endsWith("the rest".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aDiffWhoseGuestSaysNoCountsStillReportsItsBytes() throws Exception {
        greetedBy("0.6.0");
        CompletableFuture<GuestLayers.DiffStats> diff = async(() -> GuestLayers.diff(g.host, OutputStream.nullOutputStream(), WAIT));
        int s = startedBuiltin("layer-diff", false);
        g.send(FakeGuest.stdout(s, "12345"));
        g.send(stderr(s, "{\"entries\":99999999999999999999,\"whiteouts\":0}\n"));
        g.exit(s, 0);

        assertThat(diff.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                .isEqualTo(new GuestLayers.DiffStats(5, -1, -1, "{\"entries\":99999999999999999999,\"whiteouts\":0}"));
    }

    @Test
    @Tag("hostile")
    void aDiffBeyondItsByteLimitIsKilledAndFails() throws Exception {
        greetedBy("0.6.0");
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        CompletableFuture<GuestLayers.DiffStats> diff = async(() -> GuestLayers.diff(g.host, tar, WAIT, 10));
        int s = startedBuiltin("layer-diff", false);
        g.send(FakeGuest.stdout(s, "0123456789"));
        g.send(FakeGuest.stdout(s, "x"));

        assertThat(failureOf(diff)).isInstanceOf(AgentException.class).hasMessageContaining("more than 10 bytes");
        assertThat(nextFromHost(Frame.CLOSE).stream()).isEqualTo(s);
        assertThat(tar.size()).isEqualTo(10);
    }

    @Test
    void aCallerStreamThatFailsKillsTheDiff() throws Exception {
        greetedBy("0.6.0");
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("disk full on the host");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("disk full on the host");
            }
        };
        CompletableFuture<GuestLayers.DiffStats> diff = async(() -> GuestLayers.diff(g.host, broken, WAIT));
        int s = startedBuiltin("layer-diff", false);
        g.send(FakeGuest.stdout(s, "tar bytes"));

        assertThat(failureOf(diff)).isInstanceOf(IOException.class).hasMessage("disk full on the host");
        assertThat(nextFromHost(Frame.CLOSE).stream()).isEqualTo(s);
    }

    @Test
    void applySendsTheTarOnStdinThenEndOfFileAndReturnsTheEntriesApplied() throws Exception {
        greetedBy("0.6.0");
        byte[] tar = new byte[150_000];
        for (int i = 0; i < tar.length; i++) {
            tar[i] = (byte) (i * 7);
        }
        CompletableFuture<Long> apply = async(() -> GuestLayers.apply(g.host, new ByteArrayInputStream(tar), WAIT));
        int s = startedBuiltin("untar", true);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (true) {
            Frame f = nextFromHost(Frame.STDIN);
            assertThat(f.stream()).isEqualTo(s);
            assertThat(f.payload().length).isLessThanOrEqualTo(GuestLayers.STDIN_CHUNK_BYTES);
            if (f.payload().length == 0) {
                break;
            }
            got.writeBytes(f.payload());
        }
        g.send(FakeGuest.stdout(s, "{\"entries\":42}\n"));
        g.exit(s, 0);

        assertThat(apply.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(42);
        assertThat(got.toByteArray()).isEqualTo(tar);
    }

    @Test
    void aRefusedEntryFailsTheApplyWithTheBuiltinsExitCodeAndMessage() throws Exception {
        greetedBy("0.6.0");
        CompletableFuture<Long> apply = async(() -> GuestLayers.apply(g.host, new ByteArrayInputStream(new byte[512]), WAIT));
        int s = startedBuiltin("untar", true);
        g.send(stderr(s, "burrow: untar: entry '../etc/passwd': refused: an absolute name or a '..' component\n"));
        g.exit(s, 16);

        assertThat(failureOf(apply)).isInstanceOfSatisfying(GuestLayerException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(GuestLayerException.EXIT_REFUSED);
            assertThat(e.builtin()).isEqualTo("untar");
            assertThat(e.getMessage()).contains("exit 16").contains("'../etc/passwd'");
        });
    }

    @Test
    void markReturnsTheEntriesRecordedAndAnAnswerThatIsNotACountFails() throws Exception {
        greetedBy("0.6.0");
        CompletableFuture<Long> mark = async(() -> GuestLayers.mark(g.host, WAIT));
        int s = startedBuiltin("layer-mark", false);
        g.send(FakeGuest.stdout(s, "{\"entries\":12345}\n"));
        g.exit(s, 0);
        assertThat(mark.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(12345);

        CompletableFuture<Long> junk = async(() -> GuestLayers.mark(g.host, WAIT));
        s = startedBuiltin("layer-mark", false);
        g.send(FakeGuest.stdout(s, "{\"entries\":-1}"));
        g.exit(s, 0);
        assertThat(failureOf(junk)).isInstanceOf(AgentException.class).hasMessageContaining("instead of its entry count");
    }

    @Test
    void aBuiltinThatDoesNotFinishInTimeIsKilled() throws Exception {
        greetedBy("0.6.0");
        CompletableFuture<Long> mark = async(() -> GuestLayers.mark(g.host, Duration.ofMillis(300)));
        int s = startedBuiltin("layer-mark", false);

        assertThat(failureOf(mark)).isInstanceOf(AgentException.class).hasMessageContaining("did not finish within 300 ms");
        assertThat(nextFromHost(Frame.CLOSE).stream()).isEqualTo(s);
    }

    @Test
    void anAgentOlderThanSixZeroGetsNoLayerBuiltinAndTheMessageSaysRebuild() throws Exception {
        greetedBy("0.5.0");

        assertThatThrownBy(() -> GuestLayers.mark(g.host, WAIT)).isInstanceOf(AgentTooOldException.class)
                .hasMessageContaining("layer-mark").hasMessageContaining("0.6.0").hasMessageContaining("rebuild");
        assertThatThrownBy(() -> GuestLayers.apply(g.host, new ByteArrayInputStream(new byte[0]), WAIT))
                .isInstanceOf(AgentTooOldException.class);
        assertThat(g.fromHost.stream().filter(f -> f.type() == Frame.EXEC)).isEmpty();
    }
}
