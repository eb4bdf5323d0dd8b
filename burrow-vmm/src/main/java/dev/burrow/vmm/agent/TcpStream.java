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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/** A TCP connection to a port inside the guest, tunnelled over the agent channel. */
public final class TcpStream implements StreamHandler, AutoCloseable {

    private static final byte[] EOF = new byte[0];

    private final AgentConnection connection;
    private final int streamId;
    private final Duration sendTimeout;
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private final LinkedBlockingQueue<byte[]> inbound = new LinkedBlockingQueue<>();
    private final AtomicLong outstanding = new AtomicLong();
    private final Credit sendCredit = new Credit();
    private volatile String failure;
    private volatile boolean closed;

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

    public InputStream input() {
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
                    try {
                        current = inbound.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted", e);
                    }
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
                    connection.send(Frame.of(Frame.DATA, streamId));
                }
            }
        };
    }

    private void grant(int n) {
        outstanding.addAndGet(-n);
        try {
            connection.send(new Frame(Frame.WINDOW, streamId, Payload.writer().u32(n).toBytes()));
        } catch (AgentException ignored) {
            // channel closing
        }
    }

    @Override
    public void onFrame(Frame f) {
        try {
            switch (f.type()) {
                case Frame.CONNECTED -> connected.complete(null);
                case Frame.DATA -> {
                    if (f.payload().length == 0) {
                        inbound.add(EOF);
                    } else if (outstanding.addAndGet(f.payload().length) > Credit.INITIAL_WINDOW) {
                        end("agent sent beyond the flow-control window", true);
                    } else {
                        inbound.add(f.payload());
                    }
                }
                case Frame.WINDOW -> {
                    Payload.Reader r = Payload.reader(f);
                    long inc = r.i32() & 0xFFFFFFFFL;
                    r.end();
                    if (!sendCredit.grant(inc)) {
                        end("agent granted an impossible window", true);
                    }
                }
                case Frame.ERROR -> end(Payload.reader(f).str(), false);
                case Frame.CLOSE -> end("connection reset by the guest", false);
                default -> { }
            }
        } catch (AgentProtocolException e) {
            end("agent broke the protocol on this connection: " + e.getMessage(), true);
        }
    }

    @Override
    public void onChannelClosed(String reason) {
        end("agent channel closed: " + reason, false);
    }

    private void end(String reason, boolean sendClose) {
        if (closed) {
            return;
        }
        closed = true;
        failure = reason;
        connection.forget(streamId);
        sendCredit.cancel();
        connected.completeExceptionally(new AgentException(reason));
        inbound.add(EOF);
        if (sendClose) {
            try {
                connection.send(Frame.of(Frame.CLOSE, streamId));
            } catch (AgentException ignored) {
                // gone already
            }
        }
    }

    @Override
    public void close() {
        if (!closed) {
            end("closed by the host", true);
        }
    }
}
