package dev.burrow.vmm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.FrameEncoder;
import dev.burrow.vmm.agent.internal.Payload;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host end of the channel against misbehaving guest-side peers speaking over a real unix
 * socket: it must neither crash, nor hang, nor grow without bound.
 */
class AgentConnectionTest {

    @TempDir
    Path tmp;
    private ServerSocketChannel server;
    private SocketChannel guest;
    private AgentConnection host;
    private final AtomicBoolean stop = new AtomicBoolean();

    @BeforeEach
    void connect() throws IOException {
        Path sock = tmp.resolve("agent.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(sock));
        SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
        client.connect(UnixDomainSocketAddress.of(sock));
        guest = server.accept();
        host = new AgentConnection(client, "test", AgentEvents.NONE, 20, Duration.ofMillis(500));
    }

    @AfterEach
    void close() throws IOException {
        stop.set(true);
        host.close();
        guest.close();
        server.close();
    }

    private void reconnect(AgentEvents events) throws IOException {
        host.close();
        guest.close();
        SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
        client.connect(server.getLocalAddress());
        guest = server.accept();
        host = new AgentConnection(client, "test2", events, 20, Duration.ofMillis(500));
    }

    private void guestSends(Frame f) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(FrameEncoder.encode(f));
        while (b.hasRemaining()) {
            guest.write(b);
        }
    }

    @Test
    void aGarbageSpewingPeerIsCutOffAfterTheCorruptionBudgetAndWaitersAreReleased() throws Exception {
        Thread.ofVirtual().start(() -> {
            Random rnd = new Random(7);
            byte[] junk = new byte[4096];
            ByteBuffer frame = ByteBuffer.wrap(FrameEncoder.encode(new Frame(Frame.PONG, 0, new byte[8])));
            try {
                while (!stop.get()) {
                    rnd.nextBytes(junk);
                    guest.write(ByteBuffer.wrap(junk));
                    // a frame with a broken checksum now and then
                    byte[] bad = frame.array().clone();
                    bad[bad.length - 1] ^= 1;
                    guest.write(ByteBuffer.wrap(bad));
                }
            } catch (IOException closed) {
                // the host hung up: expected
            }
        });
        String reason = host.closedFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(reason).contains("too many corrupt frames");
        assertThat(host.isOpen()).isFalse();
        assertThatThrownBy(() -> host.ping(Duration.ofSeconds(1))).isInstanceOf(AgentException.class);
    }

    @Test
    void occasionalCorruptionIsSkippedAndTheChannelKeepsWorking() throws Exception {
        ByteBuffer junk = ByteBuffer.wrap("line noise before any frame".getBytes());
        guest.write(junk);
        Thread.ofVirtual().start(() -> {
            try {
                // answer one ping honestly after the noise
                ByteBuffer in = ByteBuffer.allocate(Frame.HEADER_BYTES + 8);
                while (in.hasRemaining()) {
                    guest.read(in);
                }
                byte[] token = new byte[8];
                in.position(Frame.HEADER_BYTES);
                in.get(token);
                guestSends(new Frame(Frame.PONG, 0, token));
            } catch (IOException e) {
                // test fails on the ping below
            }
        });
        assertThat(host.ping(Duration.ofSeconds(5))).isPositive();
        assertThat(host.skippedBytes()).isEqualTo(junk.capacity());
        assertThat(host.isOpen()).isTrue();
    }

    @Test
    void aSilentPeerMakesCallsTimeOutInsteadOfHanging() throws Exception {
        long start = System.nanoTime();
        assertThatThrownBy(() -> host.ping(Duration.ofMillis(300)))
                .isInstanceOf(AgentException.class).hasMessageContaining("timed out");
        assertThatThrownBy(() -> host.hello(Identity.fresh("x"), Duration.ofMillis(300)))
                .isInstanceOf(AgentException.class);
        // a peer that never reads: stdin beyond the window waits for credit, then gives up
        ExecSession s = host.exec(ExecRequest.of("cat").withStdin());
        byte[] big = new byte[1 << 20];
        assertThatThrownBy(() -> s.writeStdin(big, 0, big.length, Duration.ofMillis(300)))
                .isInstanceOf(AgentException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void anOversizedFrameFromTheGuestEndsTheChannelAsAViolation() throws Exception {
        AtomicBoolean violation = new AtomicBoolean();
        reconnect(new AgentEvents() {
            @Override
            public void closed(String reason, boolean v) {
                violation.set(v);
            }
        });
        ByteBuffer h = ByteBuffer.allocate(20).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(Frame.MAGIC).put((byte) 1).put((byte) Frame.STDOUT).putShort((short) 0)
                .putInt(1).putInt(Integer.MAX_VALUE).putInt(0).flip();
        guest.write(h);
        assertThat(host.closedFuture().get(5, java.util.concurrent.TimeUnit.SECONDS)).contains("limit is 65536");
        assertThat(violation).isTrue();
    }

    @Test
    void outputBeyondTheWindowFailsTheExecInsteadOfGrowingTheBuffer() throws Exception {
        java.util.concurrent.CountDownLatch marker = new java.util.concurrent.CountDownLatch(1);
        reconnect(new AgentEvents() {
            @Override
            public void entrypointExited(int exitCode, int signal) {
                marker.countDown();
            }
        });
        ExecSession s = host.exec(ExecRequest.of("yes"));
        guestSends(new Frame(Frame.STARTED, s.id(), Payload.writer().u32(42).toBytes()));
        byte[] chunk = new byte[65536];
        for (int i = 0; i < 5; i++) { // 320 KiB without waiting for WINDOW: over the 256 KiB window
            guestSends(new Frame(Frame.STDOUT, s.id(), chunk));
        }
        // frames are handled in order: once this one is seen, all output above has been too
        guestSends(new Frame(Frame.ENTRYPOINT_EXIT, 0, Payload.writer().u32(0).u32(0).toBytes()));
        assertThat(marker.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> s.await(Duration.ofSeconds(5)))
                .isInstanceOf(AgentException.class)
                .hasMessageContaining("flow-control window");
        assertThat(host.isOpen()).isTrue();
    }

    @Test
    void aMalformedExitPayloadFailsOnlyThatExec() throws Exception {
        ExecSession s = host.exec(ExecRequest.of("true"));
        guestSends(new Frame(Frame.STARTED, s.id(), Payload.writer().u32(42).toBytes()));
        guestSends(new Frame(Frame.EXIT, s.id(), new byte[3]));
        assertThatThrownBy(() -> s.await(Duration.ofSeconds(5)))
                .isInstanceOf(AgentException.class).hasMessageContaining("payload ends early");
        assertThat(host.isOpen()).isTrue();
        // the exec request itself reached the peer intact
        ByteBuffer in = ByteBuffer.allocate(Frame.HEADER_BYTES);
        while (in.hasRemaining()) {
            guest.read(in);
        }
        assertThat(in.get(5)).isEqualTo((byte) Frame.EXEC);
        assertThat(Payload.writer().u32(0).toBytes()).hasSize(4);
    }
}
