package dev.burrow.vmm.agent;

import dev.burrow.vmm.agent.internal.Credit;
import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.Payload;
import dev.burrow.vmm.agent.internal.StreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP connection to a port inside the guest, tunnelled over the agent channel. The guest must
 * answer CONNECTED once, then send non-empty DATA and at most one empty DATA (its half-close);
 * anything else resets the connection and counts against the channel's corruption budget.
 */
public final class TcpStream implements StreamHandler, AutoCloseable {

    private static final byte[] EOF = new byte[0];
    /** A window bounds the DATA frames in flight (each costs more than {@link Frame#DATA_FRAME_COST}); plus the end. */
    static final int MAX_CHUNKS = Credit.INITIAL_WINDOW / Frame.DATA_FRAME_COST + 2;

    private final AgentConnection connection;
    private final int streamId;
    private final Duration sendTimeout;
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private final BlockingQueue<byte[]> inbound = new ArrayBlockingQueue<>(MAX_CHUNKS);
    private final AtomicLong outstanding = new AtomicLong();
    private final Credit sendCredit = new Credit();
    private volatile String failure;
    private volatile boolean closed;
    private boolean guestEof;

    TcpStream(AgentConnection connection, int streamId, Duration sendTimeout) {
        this.connection = connection;
        this.streamId = streamId;
        this.sendTimeout = sendTimeout;
    }

    void awaitConnected(Duration timeout) throws AgentException {
        try {
            connected.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            close();
            throw new AgentException("guest did not connect within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new AgentException(e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted", e);
        }
    }

    /** The guest's bytes; a read waits as long as it takes. */
    public InputStream input() {
        return input(null);
    }

    /**
     * The guest's bytes; a read that gets nothing within {@code readTimeout} throws
     * {@link AgentException} (null: wait as long as it takes).
     */
    public InputStream input(Duration readTimeout) {
        return input(readTimeout, Long.MAX_VALUE);
    }

    /**
     * The guest's bytes; a read throws {@link AgentException} when nothing arrives within
     * {@code readTimeout} (null: no per-read limit) or by {@code deadlineNanos} ({@link System#nanoTime}
     * scale; {@link Long#MAX_VALUE}: none), whichever comes first.
     */
    public InputStream input(Duration readTimeout, long deadlineNanos) {
        return new InputStream() {
            private byte[] current = new byte[0];
            private int pos;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (current == EOF) {
                    return -1;
                }
                if (pos == current.length) {
                    current = take(readTimeout, deadlineNanos);
                    pos = 0;
                    if (current == EOF) {
                        if (failure != null) {
                            throw new IOException(failure);
                        }
                        return -1;
                    }
                    grant(current.length);
                }
                int n = Math.min(len, current.length - pos);
                System.arraycopy(current, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    private byte[] take(Duration timeout, long deadlineNanos) throws IOException {
        try {
            if (timeout == null && deadlineNanos == Long.MAX_VALUE) {
                return inbound.take();
            }
            long wait = deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - System.nanoTime();
            if (timeout != null) {
                wait = Math.min(wait, timeout.toNanos());
            }
            byte[] next = inbound.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
            if (next == null) {
                throw new AgentException("guest sent nothing for " + TimeUnit.NANOSECONDS.toMillis(Math.max(0, wait)) + " ms");
            }
            return next;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    public OutputStream output() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    int n = sendCredit.take(Math.min(len, Frame.MAX_PAYLOAD), sendTimeout);
                    connection.send(new Frame(Frame.DATA, streamId, Arrays.copyOfRange(b, off, off + n)));
                    off += n;
                    len -= n;
                }
            }

            @Override
            public void close() throws IOException {
                if (!closed) {
                    sendCredit.take(0, sendTimeout);
                    connection.send(Frame.of(Frame.DATA, streamId));
                }
            }
        };
    }

    private void grant(int n) {
        long cost = Frame.cost(n);
        outstanding.addAndGet(-cost);
        if (closed) {
            return;
        }
        try {
            connection.send(new Frame(Frame.WINDOW, streamId, Payload.writer().u32((int) cost).toBytes()));
        } catch (AgentException ignored) {
            // channel closing
        }
    }

    @Override
    public void onFrame(Frame f) throws AgentProtocolException {
        if (closed) {
            return;
        }
        boolean isConnected = connected.isDone();
        switch (f.type()) {
            case Frame.CONNECTED -> {
                if (isConnected) {
                    throw new AgentProtocolException("CONNECTED twice", false);
                }
                connected.complete(null);
            }
            case Frame.DATA -> {
                if (!isConnected) {
                    throw new AgentProtocolException("DATA before CONNECTED", false);
                }
                if (guestEof) {
                    throw new AgentProtocolException("DATA after the guest's half-close", false);
                }
                if (outstanding.addAndGet(Frame.cost(f.payload().length)) > Credit.INITIAL_WINDOW) {
                    throw new AgentProtocolException("agent sent beyond the flow-control window", false);
                }
                guestEof = f.payload().length == 0;
                if (!inbound.offer(guestEof ? EOF : f.payload())) {
                    throw new AgentProtocolException("more than " + MAX_CHUNKS + " chunks queued", false);
                }
            }
            case Frame.WINDOW -> {
                if (!isConnected) {
                    throw new AgentProtocolException("WINDOW before CONNECTED", false);
                }
                Payload.Reader r = Payload.reader(f);
                long inc = r.i32() & 0xFFFFFFFFL;
                r.end();
                if (!sendCredit.grant(inc)) {
                    throw new AgentProtocolException("agent granted an impossible window", false);
                }
            }
            case Frame.ERROR -> {
                Payload.Reader r = Payload.reader(f);
                String message = r.str();
                r.end();
                end(message, false);
            }
            case Frame.CLOSE -> {
                if (guestEof) {
                    end(null, false); // both directions done: a clean end
                } else {
                    end("connection reset by the guest", false);
                }
            }
            default -> throw new AgentProtocolException("frame type " + Frame.typeName(f.type()) + " on a TCP stream", false);
        }
    }

    @Override
    public void onViolation(String reason) {
        end("agent broke the protocol on this connection: " + reason, true);
    }

    @Override
    public void onChannelClosed(String reason) {
        end("agent channel closed: " + reason, false);
    }

    @Override
    public long queuedCredit() {
        return outstanding.get();
    }

    /** Ends the stream; a null reason is a clean end (readers get EOF, not an error). */
    private synchronized void end(String reason, boolean byHost) {
        if (closed) {
            return;
        }
        closed = true;
        failure = reason;
        connection.forget(streamId, byHost);
        sendCredit.cancel();
        connected.completeExceptionally(new AgentException(reason == null ? "stream ended" : reason));
        if (!inbound.offer(EOF)) {
            inbound.clear();
            inbound.offer(EOF);
        }
        if (byHost) {
            try {
                connection.send(Frame.of(Frame.CLOSE, streamId));
            } catch (AgentException ignored) {
                // gone already
            }
        }
    }

    @Override
    public void close() {
        end("closed by the host", true);
    }
}
