package dev.burrow.daemon.images;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.AgentEvents;
import dev.burrow.vmm.agent.AgentLimits;
import dev.burrow.vmm.agent.AgentProtocolException;
import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.FrameDecoder;
import dev.burrow.vmm.agent.internal.FrameEncoder;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hook calls against a fake guest on the agent channel: every step has a deadline. */
class HookCallerTest {

    @TempDir
    Path tmp;
    private ServerSocketChannel server;
    private SocketChannel guest;
    private AgentConnection agent;

    /** Starts a fake guest that hands every frame from the host to {@code script}. */
    private void fakeGuest(Consumer<Frame> script) throws IOException {
        Path sock = tmp.resolve("agent.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(sock));
        SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
        client.connect(UnixDomainSocketAddress.of(sock));
        guest = server.accept();
        agent = new AgentConnection(client, "hook", AgentEvents.NONE, AgentLimits.defaults());
        Thread.ofPlatform().daemon().start(() -> {
            FrameDecoder d = new FrameDecoder(script, what -> { });
            try {
                while (d.readFrom(guest) >= 0) {
                    // the script answers
                }
            } catch (IOException | AgentProtocolException e) {
                // closed by the test
            }
        });
    }

    private void send(Frame f) {
        try {
            ByteBuffer b = ByteBuffer.wrap(FrameEncoder.encode(f));
            while (b.hasRemaining()) {
                guest.write(b);
            }
        } catch (IOException e) {
            // the host went away; the test's assertions say what mattered
        }
    }

    @AfterEach
    void close() throws IOException {
        agent.close();
        guest.close();
        server.close();
    }

    @Test
    @Tag("hostile")
    void aHookThatAcceptsAndStaysSilentFailsWhenTheTotalDeadlinePasses() throws Exception {
        fakeGuest(f -> {
            if (f.type() == Frame.TCP_CONNECT) {
                send(Frame.of(Frame.CONNECTED, f.stream())); // and then nothing, ever
            }
        });
        long start = System.nanoTime();
        HookCaller.Outcome o = HookCaller.call(agent, 8081, "validate", new byte[0], Duration.ofMillis(800), true);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(o.ok()).isFalse();
        assertThat(o.describe()).contains("sent nothing");
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(700)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    @Tag("hostile")
    void aGuestThatNeverAcceptsTimesOutWithinTheTotal() throws Exception {
        fakeGuest(f -> { });
        long start = System.nanoTime();
        HookCaller.Outcome o = HookCaller.call(agent, 8081, "ready", new byte[0], Duration.ofMillis(600), true);
        assertThat(o.ok()).isFalse();
        assertThat(o.describe()).contains("timed out");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void anAnswerWithinTheDeadlinesDecides() throws Exception {
        fakeGuest(f -> {
            if (f.type() == Frame.TCP_CONNECT) {
                send(Frame.of(Frame.CONNECTED, f.stream()));
                send(new Frame(Frame.DATA, f.stream(), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII)));
                send(Frame.of(Frame.DATA, f.stream()));
            }
        });
        HookCaller.Outcome o = HookCaller.call(agent, 8081, "validate", new byte[0], Duration.ofSeconds(5), false);
        assertThat(o.ok()).isTrue();
        assertThat(o.status()).isEqualTo(200);
        assertThat(o.body()).isEqualTo("ok");
    }

    /** A fake guest that answers {@code 200} on the paths it knows and {@code 404} elsewhere, recording every request line. */
    private List<String> guestKnowing(String... paths) throws IOException {
        List<String> asked = new CopyOnWriteArrayList<>();
        fakeGuest(f -> {
            if (f.type() == Frame.TCP_CONNECT) {
                send(Frame.of(Frame.CONNECTED, f.stream()));
            } else if (f.type() == Frame.DATA && f.payload().length > 0 && new String(f.payload(), StandardCharsets.US_ASCII).startsWith("POST ")) {
                String line = new String(f.payload(), StandardCharsets.US_ASCII).split("\r\n", 2)[0];
                asked.add(line);
                String path = line.split(" ")[1];
                String answer = List.of(paths).contains(path) ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                        : "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nno route.";
                send(new Frame(Frame.DATA, f.stream(), answer.getBytes(StandardCharsets.US_ASCII)));
                send(Frame.of(Frame.DATA, f.stream()));
            }
        });
        return asked;
    }

    @Test
    void anApplicationWrittenForAwsIsAskedAtAwsPathWhenBurrowsIsUnknownToIt() throws Exception {
        List<String> asked = guestKnowing("/ready");

        HookCaller.Outcome o = HookCaller.call(agent, 9000, "ready", new byte[0], Duration.ofSeconds(5), true);

        assertThat(o.ok()).as(o.describe()).isTrue();
        assertThat(asked).containsExactly("POST /burrow/v1/ready HTTP/1.1", "POST /ready HTTP/1.1");
    }

    @Test
    void anApplicationThatKnowsBurrowsPathIsAskedOnce() throws Exception {
        List<String> asked = guestKnowing("/burrow/v1/run", "/run");

        assertThat(HookCaller.call(agent, 9000, "run", new byte[0], Duration.ofSeconds(5), false).ok()).isTrue();
        assertThat(asked).containsExactly("POST /burrow/v1/run HTTP/1.1");
    }

    @Test
    void aHookNeitherPathKnowsFailsNamingBoth() throws Exception {
        guestKnowing();

        HookCaller.Outcome o = HookCaller.call(agent, 9000, "validate", new byte[0], Duration.ofSeconds(5), true);

        assertThat(o.ok()).isFalse();
        assertThat(o.describe()).isEqualTo("HTTP 404 at both /burrow/v1/validate and /validate: no route.");
    }
}
