package dev.burrow.vmm.agent;

import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.FrameDecoder;
import dev.burrow.vmm.agent.internal.FrameEncoder;
import dev.burrow.vmm.agent.internal.Payload;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The guest end of an agent channel, scripted by a test: a unix socket pair with an
 * {@link AgentConnection} on the host end. Whatever the host sends is decoded and kept, so the
 * host's writer never blocks on a full socket.
 */
final class FakeGuest implements AutoCloseable {

    final AgentConnection host;
    final LinkedBlockingQueue<Frame> fromHost = new LinkedBlockingQueue<>();
    private final ServerSocketChannel server;
    private final SocketChannel guest;
    private final Thread drain;

    FakeGuest(Path dir, String name, AgentEvents events, AgentLimits limits) throws IOException {
        Path sock = dir.resolve(name + ".sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(sock));
        SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
        client.connect(UnixDomainSocketAddress.of(sock));
        guest = server.accept();
        host = new AgentConnection(client, name, events, limits);
        drain = Thread.ofPlatform().daemon().name(name + "-fake-guest").start(this::drainHost);
    }

    private void drainHost() {
        FrameDecoder d = new FrameDecoder(fromHost::add, what -> { });
        try {
            while (d.readFrom(guest) >= 0) {
                // frames land in fromHost
            }
        } catch (IOException | AgentProtocolException e) {
            // the test closed the pair
        }
    }

    void send(Frame f) throws IOException {
        write(FrameEncoder.encode(f));
    }

    void write(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            guest.write(b);
        }
    }

    /** Many frames in one write, as a flooding guest would send them. */
    static byte[] repeat(Frame f, int times) {
        byte[] one = FrameEncoder.encode(f);
        ByteArrayOutputStream out = new ByteArrayOutputStream(one.length * times);
        for (int i = 0; i < times; i++) {
            out.writeBytes(one);
        }
        return out.toByteArray();
    }

    void started(int stream) throws IOException {
        send(new Frame(Frame.STARTED, stream, Payload.writer().u32(1000 + stream).toBytes()));
    }

    void exit(int stream, int code) throws IOException {
        send(new Frame(Frame.EXIT, stream, Payload.writer().u32(code).u32(0).toBytes()));
    }

    static Frame stdout(int stream, String text) {
        return new Frame(Frame.STDOUT, stream, text.getBytes());
    }

    @Override
    public void close() throws IOException {
        host.close();
        guest.close();
        server.close();
        drain.interrupt();
    }
}
