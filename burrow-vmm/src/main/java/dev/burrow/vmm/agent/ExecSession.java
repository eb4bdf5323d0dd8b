package dev.burrow.vmm.agent;

import dev.burrow.vmm.agent.internal.Credit;
import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.Payload;
import dev.burrow.vmm.agent.internal.StreamHandler;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One running exec. Events arrive in the guest's order through {@link #next}; taking an output
 * event returns its bytes to the guest's send window, so an unread exec pauses its producer in
 * the guest instead of filling host memory.
 */
public final class ExecSession implements StreamHandler {

    private final AgentConnection connection;
    private final int streamId;
    private final LinkedBlockingQueue<ExecEvent> events = new LinkedBlockingQueue<>();
    private final Credit stdinCredit = new Credit();
    /** Bytes received minus bytes granted back: the guest may never push this past the window. */
    private final AtomicLong outstanding = new AtomicLong();
    private volatile boolean done;

    ExecSession(AgentConnection connection, int streamId) {
        this.connection = connection;
        this.streamId = streamId;
    }

    public int id() {
        return streamId;
    }

    public boolean isDone() {
        return done;
    }

    /** The next event, or null when none arrived within the timeout. After {@link ExecEvent.Exit} or {@link ExecEvent.Failed} there are none. */
    public ExecEvent next(Duration timeout) throws InterruptedException {
        ExecEvent e = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        int n = switch (e) {
            case ExecEvent.Stdout o -> o.data().length;
            case ExecEvent.Stderr o -> o.data().length;
            case null, default -> 0;
        };
        if (n > 0 && !done) {
            outstanding.addAndGet(-n);
            try {
                connection.send(new Frame(Frame.WINDOW, streamId, Payload.writer().u32(n).toBytes()));
            } catch (AgentException ignored) {
                // the channel is going away; the reader will report it
            }
        }
        return e;
    }

    /** Sends stdin bytes, waiting for guest credit (the exec must have been started with stdin open). */
    public void writeStdin(byte[] data, int off, int len, Duration timeout) throws AgentException {
        while (len > 0) {
            int n = stdinCredit.take(Math.min(len, Frame.MAX_PAYLOAD), timeout);
            connection.send(new Frame(Frame.STDIN, streamId, Arrays.copyOfRange(data, off, off + n)));
            off += n;
            len -= n;
        }
    }

    public void closeStdin() throws AgentException {
        connection.send(Frame.of(Frame.STDIN, streamId));
    }

    /** Delivers a signal to the exec's process group. */
    public void signal(int signal) throws AgentException {
        connection.send(new Frame(Frame.SIGNAL, streamId, Payload.writer().u32(signal).toBytes()));
    }

    /** Kills the exec's process group and forgets the stream; no exit event follows. */
    public void kill() {
        abort("killed by the host");
    }

    private void abort(String reason) {
        if (finish(new ExecEvent.Failed(reason))) {
            try {
                connection.send(Frame.of(Frame.CLOSE, streamId));
            } catch (AgentException ignored) {
                // nothing left to kill if the channel is gone
            }
        }
    }

    /** Waits for the exit, collecting output; kills the exec when the timeout passes. */
    public ExecResult await(Duration timeout) throws AgentException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                kill();
                throw new AgentException("exec did not finish within " + timeout.toMillis() + " ms; killed it");
            }
            ExecEvent e = next(Duration.ofNanos(left));
            switch (e) {
                case null -> { }
                case ExecEvent.Started s -> { }
                case ExecEvent.Stdout o -> out.writeBytes(o.data());
                case ExecEvent.Stderr o -> err.writeBytes(o.data());
                case ExecEvent.Exit x -> {
                    return new ExecResult(x.exitCode(), x.signal(), out.toByteArray(), err.toByteArray());
                }
                case ExecEvent.Failed f -> throw new AgentException("exec failed: " + f.message());
            }
        }
    }

    @Override
    public void onFrame(Frame f) {
        if (done) {
            return;
        }
        try {
            switch (f.type()) {
                case Frame.STARTED -> {
                    Payload.Reader r = Payload.reader(f);
                    int pid = r.i32();
                    r.end();
                    events.add(new ExecEvent.Started(pid));
                }
                case Frame.STDOUT, Frame.STDERR -> {
                    if (outstanding.addAndGet(f.payload().length) > Credit.INITIAL_WINDOW) {
                        throw new AgentProtocolException("agent sent beyond the flow-control window", false);
                    }
                    events.add(f.type() == Frame.STDOUT ? new ExecEvent.Stdout(f.payload()) : new ExecEvent.Stderr(f.payload()));
                }
                case Frame.WINDOW -> {
                    Payload.Reader r = Payload.reader(f);
                    long inc = r.i32() & 0xFFFFFFFFL;
                    r.end();
                    if (!stdinCredit.grant(inc)) {
                        throw new AgentProtocolException("agent granted an impossible window", false);
                    }
                }
                case Frame.EXIT -> {
                    Payload.Reader r = Payload.reader(f);
                    int code = r.i32();
                    int sig = r.i32();
                    r.end();
                    finish(new ExecEvent.Exit(code, sig));
                }
                case Frame.ERROR -> {
                    Payload.Reader r = Payload.reader(f);
                    finish(new ExecEvent.Failed(r.str()));
                }
                default -> { /* unknown stream frame types are ignored */ }
            }
        } catch (AgentProtocolException e) {
            abort("agent broke the protocol on this exec: " + e.getMessage());
        }
    }

    @Override
    public void onChannelClosed(String reason) {
        finish(new ExecEvent.Failed("agent channel closed: " + reason));
    }

    private synchronized boolean finish(ExecEvent last) {
        if (done) {
            return false;
        }
        done = true;
        stdinCredit.cancel();
        connection.forget(streamId);
        events.add(last);
        return true;
    }
}
