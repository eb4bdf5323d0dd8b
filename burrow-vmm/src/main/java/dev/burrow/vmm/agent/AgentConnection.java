package dev.burrow.vmm.agent;

import dev.burrow.vmm.agent.internal.AgentThreads;
import dev.burrow.vmm.agent.internal.AgentVersion;
import dev.burrow.vmm.agent.internal.CorruptionBudget;
import dev.burrow.vmm.agent.internal.ExecFlags;
import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.FrameDecoder;
import dev.burrow.vmm.agent.internal.FrameWriter;
import dev.burrow.vmm.agent.internal.LogGate;
import dev.burrow.vmm.agent.internal.Payload;
import dev.burrow.vmm.agent.internal.RecentIds;
import dev.burrow.vmm.agent.internal.StatsReply;
import dev.burrow.vmm.agent.internal.StreamHandler;
import dev.burrow.vmm.agent.internal.TokenBucket;
import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The host end of the agent channel (docs/PROTOCOL.md) over any byte channel: in production the
 * unix socket of the VMM's virtio-serial port. Every byte from the guest is treated as hostile:
 * the decoder holds at most one frame, each stream's buffered output is bounded by its window
 * (which every data frame pays for, empty or not), the reader takes frames and bytes from a
 * token bucket and stops reading while it is in debt, every protocol violation counts against
 * the corruption budget, and every wait has a deadline. All bounds are in {@link AgentLimits}.
 */
public final class AgentConnection implements AutoCloseable {

    /** 2: every data frame costs {@link Frame#DATA_FRAME_COST} credit on top of its payload. */
    public static final int PROTOCOL_VERSION = 2;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ByteChannel channel;
    private final String name;
    private final List<AgentEvents> events = new CopyOnWriteArrayList<>();
    private final AgentLimits limits;
    private final Duration sendTimeout;
    private final CorruptionBudget corruption;
    private final TokenBucket frameBudget;
    private final TokenBucket byteBudget;
    private final LogGate logs;
    private final RecentIds recentlyClosed;
    private final FrameWriter writer;
    private final FrameDecoder decoder;
    private final Map<Integer, StreamHandler> streams = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<HelloAck>> hellos = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> pings = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<GuestCpu>> statsWaiting = new ConcurrentHashMap<>();
    /** Unique per connection; a random start so a reply meant for an earlier connection matches nothing. */
    private final AtomicLong nextStatsNonce = new AtomicLong(RANDOM.nextLong());
    private final CompletableFuture<Integer> announce = new CompletableFuture<>();
    /** Set first when the channel ends; {@link #closed} completes once everything was told. */
    private final AtomicReference<String> closeReason = new AtomicReference<>();
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    private final AtomicInteger nextStream = new AtomicInteger(1);
    private final AtomicLong violations = new AtomicLong();
    private final AtomicLong throttled = new AtomicLong();
    private final Thread reader;
    /** See {@link #expectPreviousSession}; cleared by the next acknowledged HELLO. */
    private volatile boolean previousSession;
    /** What the last acknowledged HELLO (or the ANNOUNCE) said; null before either. */
    private volatile String agentVersion;

    public AgentConnection(ByteChannel channel, String name, AgentEvents events, AgentLimits limits) {
        long now = System.nanoTime();
        this.channel = channel;
        this.name = name;
        this.events.add(events);
        this.limits = limits;
        this.sendTimeout = limits.sendTimeout();
        this.corruption = new CorruptionBudget(limits.corruptFramesPerMinute());
        this.frameBudget = new TokenBucket(limits.framesPerSecond(), limits.frameBurst(), now);
        this.byteBudget = new TokenBucket(limits.bytesPerSecond(), limits.byteBurst(), now);
        this.logs = new LogGate(limits.logLinesPerSecond(), limits.logBurst(), now, line -> this.events.forEach(e -> e.log(line)));
        this.recentlyClosed = new RecentIds(limits.recentlyClosedStreams());
        this.decoder = new FrameDecoder(this::dispatch, this::onCorrupt);
        this.writer = new FrameWriter(channel, name + "-agent-writer", e -> fail("write failed: " + e.getMessage(), false));
        this.reader = AgentThreads.start(name + "-agent-reader", this::readLoop);
    }

    public AgentConnection(ByteChannel channel, String name, AgentEvents events, int corruptFramesPerMinute, Duration sendTimeout) {
        this(channel, name, events, AgentLimits.defaults().withCorruptFramesPerMinute(corruptFramesPerMinute).withSendTimeout(sendTimeout));
    }

    public AgentConnection(ByteChannel channel, String name) {
        this(channel, name, AgentEvents.NONE, AgentLimits.defaults());
    }

    public String name() {
        return name;
    }

    public AgentLimits limits() {
        return limits;
    }

    /** Waits for the ANNOUNCE a freshly booted agent sends; returns its protocol version. */
    public int awaitAnnounce(Duration timeout) throws AgentException {
        return await(announce, timeout, "the agent to announce itself");
    }

    /** Sends HELLO (uniqueness) and waits for the matching acknowledgement. */
    public HelloAck hello(Identity id, Duration timeout) throws AgentException {
        long nonce = RANDOM.nextLong();
        CompletableFuture<HelloAck> f = new CompletableFuture<>();
        if (hellos.size() >= limits.maxPendingHellos()) {
            throw new AgentException(limits.maxPendingHellos() + " HELLOs are already waiting for the agent");
        }
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
        if (pings.size() >= limits.maxPendingPings()) {
            throw new AgentException(limits.maxPendingPings() + " pings are already waiting for the agent");
        }
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

    // ---- guest CPU (STATS) ----

    /**
     * The guest's CPU counters (STATS, docs/PROTOCOL.md "Guest CPU"); compare two samples with
     * {@link GuestCpu#busyFraction}. An agent older than STATS (before 0.3.0) ignores it, so the
     * call times out: callers treat that, like any failure here, as "unknown".
     */
    public GuestCpu stats(Duration timeout) throws AgentException {
        if (statsWaiting.size() >= limits.maxPendingStats()) {
            throw new AgentException(limits.maxPendingStats() + " STATS are already waiting for the agent");
        }
        long nonce = nextStatsNonce.getAndIncrement();
        CompletableFuture<GuestCpu> f = new CompletableFuture<>();
        statsWaiting.put(nonce, f);
        try {
            send(new Frame(Frame.STATS, 0, Payload.writer().u64(nonce).toBytes()));
            return await(f, timeout, "the agent's CPU counters (an agent before 0.3.0 does not answer STATS)");
        } finally {
            statsWaiting.remove(nonce);
        }
    }

    /** A reply nobody waits for, or a malformed one, is a violation; a malformed one also fails its waiter. */
    private void onStatsReply(Frame f) {
        OptionalLong claimed = StatsReply.claimedNonce(f);
        CompletableFuture<GuestCpu> waiting = claimed.isPresent() ? statsWaiting.get(claimed.getAsLong()) : null;
        try {
            StatsReply reply = StatsReply.decode(f);
            if (waiting == null) {
                violation("STATS_REPLY for no STATS waiting");
            } else {
                waiting.complete(reply.cpu());
            }
        } catch (AgentProtocolException e) {
            violation("malformed control frame " + Frame.typeName(f.type()) + ": " + e.getMessage());
            if (waiting != null) {
                waiting.completeExceptionally(new AgentException("the agent sent a malformed STATS_REPLY: " + e.getMessage()));
            }
        }
    }

    // ---- streams ----

    /**
     * Starts an exec. A terminal or builtin exec needs agent {@link AgentVersion#PTY_AND_BUILTINS}:
     * to an older agent (or one whose version no HELLO told yet) it is refused here with an
     * {@link AgentTooOldException}, rather than sent to an agent that would misread it.
     */
    public ExecSession exec(ExecRequest req) throws AgentException {
        if (req.pty() != null || req.builtin()) {
            requireAgent(AgentVersion.PTY_AND_BUILTINS, req.pty() != null ? "a terminal (PTY) exec" : "a builtin exec");
        }
        int id = nextStreamId();
        ExecSession session = new ExecSession(this, id, req.pty() != null);
        streams.put(id, session);
        Payload.Writer w = Payload.writer().u32(ExecFlags.of(req)).str(req.user()).str(req.cwd()).strs(req.argv());
        w.strs(req.env().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted().toList());
        if (req.pty() != null) {
            w.u16(req.pty().cols()).u16(req.pty().rows());
        }
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

    /** The agent's version from the last acknowledged HELLO (else its ANNOUNCE); null before either. */
    public String agentVersion() {
        return agentVersion;
    }

    /**
     * Whether this agent answers {@link #stats}: true from 0.3.0, false for an older one, empty
     * while no HELLO or ANNOUNCE has said which agent this is. A STATS that times out on an agent
     * that answers them is a busy guest, not a missing feature.
     */
    public Optional<Boolean> reportsGuestCpu() {
        String reported = agentVersion;
        if (reported == null) {
            return Optional.empty();
        }
        AgentVersion v = AgentVersion.parse(reported);
        return Optional.of(v != null && v.compareTo(AgentVersion.STATS) >= 0);
    }

    /** Refuses what this agent is too old for (or whose version no HELLO told yet) with an {@link AgentTooOldException}. */
    void requireAgent(AgentVersion needed, String what) throws AgentTooOldException {
        String reported = agentVersion;
        if (reported == null) {
            throw new AgentTooOldException(what + " needs agent " + needed + " and no HELLO has told this channel the agent's version yet");
        }
        AgentVersion v = AgentVersion.parse(reported);
        if (v == null || v.compareTo(needed) < 0) {
            throw new AgentTooOldException(what + " needs agent " + needed + " or later; this one is " + reported
                    + ": the image version was built with an older agent and needs a rebuild");
        }
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

    // ---- suspend support (the engine's memory tier) ----

    /**
     * Ends every open stream on the host side with {@code reason}, keeping the channel: what a
     * guest that was suspended and gets a new HELLO does on its side. Late frames the guest had in
     * flight for them are expected, not violations.
     */
    public void abortStreams(String reason) {
        for (Integer id : List.copyOf(streams.keySet())) {
            StreamHandler h = streams.remove(id);
            if (h != null) {
                recentlyClosed.add(id);
                h.onChannelClosed(reason);
            }
        }
    }

    /**
     * The guest on this channel is restored from a suspend and may still send frames of its
     * previous host session (what was in flight when it stopped) for streams this connection
     * never opened: until its next HELLO is acknowledged, which the agent sends after them,
     * those are dropped rather than counted as violations.
     */
    public void expectPreviousSession() {
        previousSession = true;
    }

    // ---- end of suspend support ----

    /** Adds a listener for channel events (entrypoint exit, corruption, close). */
    public void listen(AgentEvents listener) {
        events.add(listener);
    }

    /** Completes with the reason once the channel is closed. */
    public CompletableFuture<String> closedFuture() {
        return closed;
    }

    public boolean isOpen() {
        return closeReason.get() == null;
    }

    public long corruptFrames() {
        return decoder.corruptFrames();
    }

    public long skippedBytes() {
        return decoder.skippedBytes();
    }

    /** Protocol violations and unexpected frames counted against the corruption budget so far. */
    public long violations() {
        return violations.get();
    }

    /** Good frames decoded so far. */
    public long framesReceived() {
        return decoder.frames();
    }

    /** Agent LOG lines dropped for the rate limit and not yet reported. */
    public long droppedLogLines() {
        return logs.dropped();
    }

    /**
     * What the guest holds in host memory right now, in bytes of flow-control credit: the
     * decoder's partial frame plus every open stream's unconsumed output.
     */
    public long queuedBytes() {
        long n = decoder.buffered();
        for (StreamHandler h : streams.values()) {
            n += h.queuedCredit();
        }
        return n;
    }

    void send(Frame f) throws AgentException {
        String reason = closeReason.get();
        if (reason != null) {
            throw new AgentException("agent channel is closed: " + reason);
        }
        writer.send(f, sendTimeout);
    }

    /** The stream is over; when the host ended it, late frames from the guest for it are expected. */
    void forget(int streamId, boolean byHost) {
        if (streams.remove(streamId) != null && byHost) {
            recentlyClosed.add(streamId);
        }
    }

    private int nextStreamId() {
        int id;
        do {
            id = nextStream.getAndIncrement();
        } while (id == 0 || streams.containsKey(id) || recentlyClosed.contains(id));
        return id;
    }

    /**
     * One bounded read per turn (at most one buffer of frames), paid for from the frame and byte
     * buckets; while either is in debt the socket is not read, which pushes back on the guest.
     */
    private void readLoop() {
        try {
            while (isOpen()) {
                long frames = decoder.frames();
                int n = decoder.readFrom(channel);
                if (n < 0) {
                    fail("the guest closed the channel", false);
                    return;
                }
                long now = System.nanoTime();
                frameBudget.take(decoder.frames() - frames, now);
                byteBudget.take(n, now);
                logs.tick(now);
                waitForBudget();
            }
        } catch (AgentProtocolException e) {
            fail(e.getMessage(), true);
        } catch (IOException e) {
            fail("read failed: " + e.getMessage(), false);
        } catch (RuntimeException e) {
            fail("unexpected failure reading the agent channel: " + e, true);
        }
    }

    private void waitForBudget() {
        while (isOpen()) {
            long now = System.nanoTime();
            long wait = Math.max(frameBudget.nanosUntilPositive(now), byteBudget.nanosUntilPositive(now));
            if (wait <= 0) {
                return;
            }
            throttled.incrementAndGet();
            LockSupport.parkNanos(this, wait);
        }
    }

    /** How often the reader stopped reading to let its frame or byte budget refill. */
    public long throttledReads() {
        return throttled.get();
    }

    private void onCorrupt(String what) {
        events.forEach(e -> e.corrupt(what));
        if (corruption.record(System.nanoTime())) {
            fail("too many corrupt frames in the last minute (last: " + what + ")", true);
        }
    }

    private void violation(String what) {
        violations.incrementAndGet();
        onCorrupt(what);
    }

    private void dispatch(Frame f) {
        if (f.stream() != 0) {
            dispatchToStream(f);
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
                    if (waiting == null) {
                        violation("HELLO_ACK for no HELLO waiting");
                    } else if (version != PROTOCOL_VERSION) {
                        waiting.completeExceptionally(new AgentException(tooOld(version, agentVersion)));
                    } else {
                        previousSession = false;
                        this.agentVersion = agentVersion;
                        waiting.complete(new HelloAck(version, agentVersion, problems, detail, state,
                                exited ? OptionalInt.of(code) : OptionalInt.empty(),
                                exited ? OptionalInt.of(sig) : OptionalInt.empty()));
                    }
                }
                case Frame.PONG -> {
                    CompletableFuture<Void> waiting = pings.get(Arrays.toString(f.payload()));
                    if (waiting == null) {
                        violation("PONG for no PING waiting");
                    } else {
                        waiting.complete(null);
                    }
                }
                case Frame.ANNOUNCE -> {
                    int version = r.i32();
                    String agentVersion = r.str();
                    r.end();
                    if (announce.isDone()) {
                        violation("ANNOUNCE twice");
                    } else if (version != PROTOCOL_VERSION) {
                        announce.completeExceptionally(new AgentException(tooOld(version, agentVersion)));
                    } else {
                        this.agentVersion = agentVersion;
                        announce.complete(version);
                    }
                }
                case Frame.ENTRYPOINT_EXIT -> {
                    int code = r.i32();
                    int sig = r.i32();
                    r.end();
                    events.forEach(e -> e.entrypointExited(code, sig));
                }
                case Frame.LOG -> {
                    if (f.payload().length > LogGate.MAX_LINE_BYTES + 4) {
                        throw new AgentProtocolException("LOG line of " + (f.payload().length - 4) + " bytes; the limit is " + LogGate.MAX_LINE_BYTES, false);
                    }
                    String line = r.str();
                    r.end();
                    logs.line(line, System.nanoTime());
                }
                case Frame.STATS_REPLY -> onStatsReply(f);
                default -> violation("unknown control frame " + Frame.typeName(f.type()));
            }
        } catch (AgentProtocolException e) {
            violation("malformed control frame " + Frame.typeName(f.type()) + ": " + e.getMessage());
        }
    }

    private void dispatchToStream(Frame f) {
        StreamHandler h = streams.get(f.stream());
        if (h == null) {
            if (previousSession) {
                return; // see expectPreviousSession
            }
            if (!recentlyClosed.late(f.stream())) {
                violation("frame " + Frame.typeName(f.type()) + " for stream " + f.stream() + ", which is not open");
            }
            return;
        }
        try {
            h.onFrame(f);
        } catch (AgentProtocolException e) {
            violation("stream " + f.stream() + ": " + e.getMessage());
            h.onViolation(e.getMessage());
        }
    }

    private static String tooOld(int version, String agentVersion) {
        return "the agent (" + agentVersion + ") speaks protocol " + version + " and this host speaks " + PROTOCOL_VERSION
                + ": the image version was built with " + (version < PROTOCOL_VERSION ? "an older" : "another")
                + " agent and needs a rebuild";
    }

    private void fail(String reason, boolean violation) {
        if (!closeReason.compareAndSet(null, reason)) {
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
        statsWaiting.values().forEach(f -> f.completeExceptionally(ex));
        announce.completeExceptionally(ex);
        events.forEach(e -> e.closed(reason, violation));
        closed.complete(reason);
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
