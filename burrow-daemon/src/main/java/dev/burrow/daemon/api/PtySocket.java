package dev.burrow.daemon.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.vmm.agent.ExecEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PTY WebSocket: binary messages are terminal input, text messages control JSON
 * ({@code resize}, {@code signal}); the guest's output goes out as binary messages, then
 * {@code {"exit":n}} and a normal close. Both directions are flow-controlled: the next client
 * message is read only once the guest took the last one, and the next output is taken from the
 * guest only once the client's socket took the last one — a client that never reads pauses the
 * terminal, it never grows burrowd's memory. Public only because Jetty invokes the listener
 * methods through method handles; nothing outside this package creates one.
 */
public final class PtySocket implements Session.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(PtySocket.class);
    /** A WebSocket close reason is at most 123 bytes of UTF-8. */
    private static final int MAX_REASON_BYTES = 123;
    /** The signals a client may send, by name (Linux numbers, as in the guest). */
    static final Map<String, Integer> SIGNALS = Map.ofEntries(Map.entry("HUP", 1), Map.entry("INT", 2), Map.entry("QUIT", 3),
            Map.entry("KILL", 9), Map.entry("USR1", 10), Map.entry("USR2", 12), Map.entry("PIPE", 13), Map.entry("ALRM", 14),
            Map.entry("TERM", 15), Map.entry("CONT", 18), Map.entry("STOP", 19), Map.entry("TSTP", 20), Map.entry("TTIN", 21),
            Map.entry("TTOU", 22), Map.entry("WINCH", 28));

    private final Pty pty;
    private final Pty.Backend backend;
    private final String tenantId;
    private final String microVmId;
    private final PtyLimits limits;
    private final BooleanSupplier stopping;
    private final List<TenantGate.Permit> permits;
    private final AtomicBoolean ended = new AtomicBoolean();
    /** When traffic last touched the microVM; the first traffic always does. */
    private final AtomicLong lastTouch;
    private final CountDownLatch opened = new CountDownLatch(1);
    private volatile Session session;
    private volatile boolean exited;

    PtySocket(Pty pty, Pty.Backend backend, String tenantId, String microVmId, PtyLimits limits, BooleanSupplier stopping,
              List<TenantGate.Permit> permits) {
        this.pty = pty;
        this.backend = backend;
        this.tenantId = tenantId;
        this.microVmId = microVmId;
        this.limits = limits;
        this.stopping = stopping;
        this.permits = permits;
        this.lastTouch = new AtomicLong(System.nanoTime() - limits.touchPeriod().toNanos());
    }

    @Override
    public void onWebSocketOpen(Session s) {
        session = s;
        s.setIdleTimeout(limits.idleTimeout());
        s.setMaxBinaryMessageSize(limits.maxInputBytes());
        s.setMaxTextMessageSize(limits.maxControlBytes());
        s.setMaxFrameSize(limits.maxInputBytes());
        opened.countDown();
        s.demand();
    }

    /**
     * Starts taking the guest's output once the socket opens; a handshake that never completes
     * (the client vanished after the 101) ends the terminal after {@link PtyLimits#openDeadline}.
     */
    void start() {
        Thread.ofVirtual().name("pty-out-" + microVmId).start(() -> {
            try {
                if (!opened.await(limits.openDeadline().toMillis(), TimeUnit.MILLISECONDS)) {
                    end(StatusCode.SHUTDOWN, "the WebSocket did not open in time");
                    return;
                }
            } catch (InterruptedException e) {
                end(StatusCode.SHUTDOWN, "burrowd is stopping");
                return;
            }
            pump();
        });
    }

    /** Ends the terminal when the upgrade did not go through (no socket will ever open). */
    void abandon() {
        end(StatusCode.SERVER_ERROR, "the WebSocket handshake failed");
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        byte[] data = new byte[payload.remaining()];
        payload.get(data);
        callback.succeed(); // the bytes are copied; the next message is read only on demand, below
        if (data.length == 0) {
            session.demand();
            return;
        }
        traffic();
        // the write may wait for guest credit: off the socket's thread, and no further read until it is done
        Thread.ofVirtual().name("pty-in-" + microVmId).start(() -> {
            try {
                pty.write(data, limits.inputStall());
                session.demand();
            } catch (IOException e) {
                end(StatusCode.SERVER_ERROR, exited ? "the command exited" : "the terminal took no input: " + e.getMessage());
            }
        });
    }

    @Override
    public void onWebSocketText(String text) {
        traffic();
        String problem = control(text);
        if (problem != null) {
            end(StatusCode.POLICY_VIOLATION, problem);
            return;
        }
        session.demand();
    }

    /** Applies one control message; null when it was valid, else what is wrong with it. */
    private String control(String text) {
        JsonNode msg;
        try {
            msg = Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return "a text message must be JSON: {\"resize\":{\"cols\":C,\"rows\":R}} or {\"signal\":\"INT\"}";
        }
        if (msg == null || !msg.isObject() || msg.size() != 1) {
            return "a control message is an object with one member, resize or signal";
        }
        try {
            if (msg.has("resize")) {
                JsonNode r = msg.get("resize");
                Integer cols = size(r, "cols");
                Integer rows = size(r, "rows");
                if (cols == null || rows == null || r.size() != 2) {
                    return "resize takes {\"cols\":C,\"rows\":R}, each 1 to " + limits.maxSize();
                }
                pty.resize(cols, rows);
                return null;
            }
            if (msg.has("signal")) {
                Integer sig = msg.get("signal").isTextual() ? SIGNALS.get(msg.get("signal").asText()) : null;
                if (sig == null) {
                    return "signal must be one of " + String.join(", ", SIGNALS.keySet().stream().sorted().toList());
                }
                pty.signal(sig);
                return null;
            }
        } catch (IOException e) {
            return null; // the terminal is going away; the pump reports why
        }
        return "unknown control message; the accepted ones are resize and signal";
    }

    private Integer size(JsonNode r, String field) {
        JsonNode v = r == null ? null : r.get(field);
        if (v == null || !v.isInt() || v.asInt() < 1 || v.asInt() > limits.maxSize()) {
            return null;
        }
        return v.asInt();
    }

    /** Explicit demand covers control frames too: answer a ping, then read on. */
    @Override
    public void onWebSocketPing(ByteBuffer payload) {
        session.sendPong(payload, Callback.from(session::demand, x -> session.demand()));
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        session.demand();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        end(statusCode, reason);
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        LOG.debug("PTY socket on {}: {}", microVmId, cause.toString());
        end(StatusCode.SERVER_ERROR, "error: " + cause.getMessage());
    }

    /** Takes the guest's output for as long as the terminal runs, one message in flight at a time. */
    private void pump() {
        long nextPing = System.nanoTime() + limits.pingPeriod().toNanos();
        try {
            while (!ended.get()) {
                if (stopping.getAsBoolean()) {
                    end(StatusCode.SHUTDOWN, "burrowd is stopping");
                    return;
                }
                if (System.nanoTime() - nextPing >= 0) {
                    session.sendPing(ByteBuffer.allocate(0), Callback.NOOP);
                    nextPing = System.nanoTime() + limits.pingPeriod().toNanos();
                }
                switch (pty.next(limits.poll())) {
                    case null -> { }
                    case ExecEvent.Started s -> { }
                    case ExecEvent.Stdout o -> send(o.data());
                    case ExecEvent.Stderr o -> send(o.data());
                    case ExecEvent.Exit x -> {
                        exited = true;
                        CompletableFuture<Void> sent = new CompletableFuture<>();
                        session.sendText(Json.MAPPER.writeValueAsString(Map.of("exit", x.exitCode())), completing(sent));
                        sent.get();
                        end(StatusCode.NORMAL, "exited " + x.exitCode());
                        return;
                    }
                    case ExecEvent.Failed f -> {
                        if (backend.suspended(tenantId, microVmId)) {
                            end(StatusCode.SHUTDOWN, "the microVM was suspended; reconnect to resume it");
                        } else {
                            end(StatusCode.SERVER_ERROR, "the terminal ended: " + f.message());
                        }
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            end(StatusCode.SHUTDOWN, "burrowd is stopping");
        } catch (ExecutionException | IOException | RuntimeException e) {
            // the client went away or stopped reading past the idle timeout: nobody is left to tell
            LOG.debug("PTY output to {} ended: {}", microVmId, e.toString());
            end(StatusCode.SERVER_ERROR, "the output could not be delivered");
        }
    }

    private void send(byte[] data) throws ExecutionException, InterruptedException {
        traffic();
        CompletableFuture<Void> sent = new CompletableFuture<>();
        session.sendBinary(ByteBuffer.wrap(data), completing(sent));
        sent.get(); // the guest's next output waits for this one to reach the socket
    }

    private static Callback completing(CompletableFuture<Void> f) {
        return Callback.from(() -> f.complete(null), f::completeExceptionally);
    }

    /** Traffic is activity for the idle policy, at most once per {@link PtyLimits#touchPeriod}. */
    private void traffic() {
        long now = System.nanoTime();
        long last = lastTouch.get();
        if (now - last >= limits.touchPeriod().toNanos() && lastTouch.compareAndSet(last, now)) {
            backend.touch(microVmId);
        }
    }

    /** Ends the terminal and the socket once, whichever side ended first; gives the stream slot back. */
    private void end(int code, String reason) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        if (!exited) {
            pty.kill();
        }
        permits.forEach(TenantGate.Permit::close);
        Session s = session;
        if (s != null && s.isOpen()) {
            s.close(code, truncate(reason), Callback.NOOP);
        }
    }

    private static String truncate(String reason) {
        byte[] b = reason.getBytes(StandardCharsets.UTF_8);
        if (b.length <= MAX_REASON_BYTES) {
            return reason;
        }
        String r = reason;
        while (r.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES - 3) {
            r = r.substring(0, r.length() - 1);
        }
        return r + "…";
    }
}
