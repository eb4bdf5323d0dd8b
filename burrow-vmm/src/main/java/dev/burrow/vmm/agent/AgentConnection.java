package dev.burrow.vmm.agent;

import dev.burrow.vmm.agent.internal.CorruptionBudget;
import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.FrameDecoder;
import dev.burrow.vmm.agent.internal.FrameWriter;
import dev.burrow.vmm.agent.internal.Payload;
import dev.burrow.vmm.agent.internal.StreamHandler;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The host end of the agent channel (docs/PROTOCOL.md) over any byte channel: in production the
 * unix socket of the VMM's virtio-serial port. Every byte from the guest is treated as hostile:
 * the decoder holds at most one frame, each stream's buffered output is bounded by its window,
 * and every wait has a deadline.
 */
public final class AgentConnection implements AutoCloseable {

    public static final int PROTOCOL_VERSION = 1;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ByteChannel channel;
    private final java.util.List<AgentEvents> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Duration sendTimeout;
    private final CorruptionBudget corruption;
    private final FrameWriter writer;
    private final FrameDecoder decoder;
    private final Map<Integer, StreamHandler> streams = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<HelloAck>> hellos = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> pings = new ConcurrentHashMap<>();
    private final CompletableFuture<Integer> announce = new CompletableFuture<>();
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    private final AtomicInteger nextStream = new AtomicInteger(1);
    private final Thread reader;

    public AgentConnection(ByteChannel channel, String name, AgentEvents events, int corruptFramesPerMinute, Duration sendTimeout) {
        this.channel = channel;
        this.events.add(events);
        this.sendTimeout = sendTimeout;
        this.corruption = new CorruptionBudget(corruptFramesPerMinute);
        this.decoder = new FrameDecoder(this::dispatch, this::onCorrupt);
        this.writer = new FrameWriter(channel, name + "-agent-writer", e -> fail("write failed: " + e.getMessage(), false));
        this.reader = Thread.ofVirtual().name(name + "-agent-reader").start(this::readLoop);
    }

    public AgentConnection(ByteChannel channel, String name) {
        this(channel, name, AgentEvents.NONE, 100, Duration.ofSeconds(10));
    }

    /** Waits for the ANNOUNCE a freshly booted agent sends; returns its protocol version. */
    public int awaitAnnounce(Duration timeout) throws AgentException {
        return await(announce, timeout, "the agent to announce itself");
    }

    /** Sends HELLO (uniqueness) and waits for the matching acknowledgement. */
    public HelloAck hello(Identity id, Duration timeout) throws AgentException {
        long nonce = RANDOM.nextLong();
        CompletableFuture<HelloAck> f = new CompletableFuture<>();
        hellos.put(nonce, f);
        try {
            send(new Frame(Frame.HELLO, 0, Payload.writer()
                    .u64(nonce)
                    .u64(id.time().getEpochSecond() * 1_000_000_000L + id.time().getNano())
                    .u32(id.entropy().length).bytes(id.entropy())
                    .str(id.hostname())
                    .str(id.machineId())
                    .toBytes()));
            return await(f, timeout, "the agent to acknowledge HELLO");
        } finally {
            hellos.remove(nonce);
        }
    }

    /** Round trip through the agent; returns how long it took. */
    public Duration ping(Duration timeout) throws AgentException {
        byte[] token = new byte[8];
        RANDOM.nextBytes(token);
        String key = Arrays.toString(token);
        CompletableFuture<Void> f = new CompletableFuture<>();
        pings.put(key, f);
        long start = System.nanoTime();
        try {
            send(new Frame(Frame.PING, 0, token));
            await(f, timeout, "a pong");
            return Duration.ofNanos(System.nanoTime() - start);
        } finally {
            pings.remove(key);
        }
    }

    public ExecSession exec(ExecRequest req) throws AgentException {
        int id = nextStreamId();
        ExecSession session = new ExecSession(this, id);
        streams.put(id, session);
        int flags = (req.stdinOpen() ? 1 : 0) | (req.entrypoint() ? 4 : 0);
        Payload.Writer w = Payload.writer().u32(flags).str(req.user()).str(req.cwd()).strs(req.argv());
        w.strs(req.env().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted().toList());
        byte[] payload = w.toBytes();
        if (payload.length > Frame.MAX_PAYLOAD) {
            streams.remove(id);
            throw new IllegalArgumentException("command, env and cwd take " + payload.length + " bytes; the limit is " + Frame.MAX_PAYLOAD);
        }
        try {
            send(new Frame(Frame.EXEC, id, payload));
        } catch (AgentException e) {
            streams.remove(id);
            throw e;
        }
        return session;
    }

    /** Runs a command to completion and collects its output. */
    public ExecResult run(ExecRequest req, Duration timeout) throws AgentException, InterruptedException {
        return exec(req).await(timeout);
    }

    /** Opens a TCP connection to 127.0.0.1:port inside the guest. */
    public TcpStream connect(int port, Duration timeout) throws AgentException {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535: " + port);
        }
        int id = nextStreamId();
        TcpStream stream = new TcpStream(this, id, sendTimeout);
        streams.put(id, stream);
        send(new Frame(Frame.TCP_CONNECT, id, Payload.writer().u16(port).toBytes()));
        stream.awaitConnected(timeout);
        return stream;
    }

    /** Adds a listener for channel events (entrypoint exit, corruption, close). */
    public void listen(AgentEvents listener) {
        events.add(listener);
    }

    /** Completes with the reason once the channel is closed. */
    public CompletableFuture<String> closedFuture() {
        return closed;
    }

    public boolean isOpen() {
        return !closed.isDone();
    }

    public long corruptFrames() {
        return decoder.corruptFrames();
    }

    public long skippedBytes() {
        return decoder.skippedBytes();
    }

    void send(Frame f) throws AgentException {
        if (closed.isDone()) {
            throw new AgentException("agent channel is closed: " + closed.getNow(""));
        }
        writer.send(f, sendTimeout);
    }

    void forget(int streamId) {
        streams.remove(streamId);
    }

    private int nextStreamId() {
        int id;
        do {
            id = nextStream.getAndIncrement();
        } while (id == 0 || streams.containsKey(id));
        return id;
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocate(Frame.MAX_PAYLOAD);
        try {
            while (!closed.isDone()) {
                buf.clear();
                int n = channel.read(buf);
                if (n < 0) {
                    fail("the guest closed the channel", false);
                    return;
                }
                decoder.feed(buf.array(), 0, n);
            }
        } catch (AgentProtocolException e) {
            fail(e.getMessage(), true);
        } catch (IOException e) {
            fail("read failed: " + e.getMessage(), false);
        } catch (RuntimeException e) {
            fail("unexpected failure reading the agent channel: " + e, true);
        }
    }

    private void onCorrupt(String what) {
        events.forEach(e -> e.corrupt(what));
        if (corruption.record(System.nanoTime())) {
            fail("too many corrupt frames in the last minute (last: " + what + ")", true);
        }
    }

    private void dispatch(Frame f) {
        if (f.stream() != 0) {
            StreamHandler h = streams.get(f.stream());
            if (h != null) {
                h.onFrame(f);
            }
            return;
        }
        try {
            Payload.Reader r = Payload.reader(f);
            switch (f.type()) {
                case Frame.HELLO_ACK -> {
                    long nonce = r.u64();
                    int version = r.i32();
                    String agentVersion = r.str();
                    int problems = r.i32();
                    String detail = r.str();
                    int ep = r.u8();
                    int code = r.i32();
                    int sig = r.i32();
                    r.end();
                    HelloAck.EntrypointState state = switch (ep) {
                        case 0 -> HelloAck.EntrypointState.NONE;
                        case 1 -> HelloAck.EntrypointState.RUNNING;
                        case 2 -> HelloAck.EntrypointState.EXITED;
                        default -> throw new AgentProtocolException("unknown entrypoint state " + ep, false);
                    };
                    boolean exited = state == HelloAck.EntrypointState.EXITED;
                    CompletableFuture<HelloAck> waiting = hellos.get(nonce);
                    if (waiting != null) {
                        waiting.complete(new HelloAck(version, agentVersion, problems, detail, state,
                                exited ? OptionalInt.of(code) : OptionalInt.empty(),
                                exited ? OptionalInt.of(sig) : OptionalInt.empty()));
                    }
                }
                case Frame.PONG -> {
                    CompletableFuture<Void> waiting = pings.get(Arrays.toString(f.payload()));
                    if (waiting != null) {
                        waiting.complete(null);
                    }
                }
                case Frame.ANNOUNCE -> {
                    int version = r.i32();
                    r.str();
                    r.end();
                    announce.complete(version);
                }
                case Frame.ENTRYPOINT_EXIT -> {
                    int code = r.i32();
                    int sig = r.i32();
                    r.end();
                    events.forEach(e -> e.entrypointExited(code, sig));
                }
                case Frame.LOG -> {
                    String line = r.str();
                    events.forEach(e -> e.log(line));
                }
                default -> { /* unknown control frames are ignored (newer agents) */ }
            }
        } catch (AgentProtocolException e) {
            onCorrupt("malformed control frame 0x" + Integer.toHexString(f.type()) + ": " + e.getMessage());
        }
    }

    private void fail(String reason, boolean violation) {
        if (!closed.complete(reason)) {
            return;
        }
        writer.close();
        try {
            channel.close();
        } catch (IOException ignored) {
            // already failing
        }
        for (StreamHandler h : streams.values()) {
            h.onChannelClosed(reason);
        }
        streams.clear();
        AgentException ex = new AgentException("agent channel closed: " + reason);
        hellos.values().forEach(f -> f.completeExceptionally(ex));
        pings.values().forEach(f -> f.completeExceptionally(ex));
        announce.completeExceptionally(ex);
        events.forEach(e -> e.closed(reason, violation));
    }

    private <T> T await(CompletableFuture<T> f, Duration timeout, String what) throws AgentException {
        try {
            return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AgentException("timed out after " + timeout.toMillis() + " ms waiting for " + what);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof AgentException a ? a : new AgentException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted waiting for " + what, e);
        }
    }

    @Override
    public void close() {
        fail("closed by the host", false);
        reader.interrupt();
    }
}
