package dev.burrow.vmm.agent;

import dev.burrow.vmm.agent.internal.BoundedOutput;
import dev.burrow.vmm.agent.internal.Credit;
import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.Payload;
import dev.burrow.vmm.agent.internal.StreamHandler;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One running exec. Events arrive in the guest's order through {@link #next}; taking an output
 * event returns its credit to the guest's send window, so an unread exec pauses its producer in
 * the guest instead of filling host memory. The guest must follow the stream's order: STARTED
 * once, then non-empty output, then EXIT; anything else fails the stream and counts against
 * the channel's corruption budget.
 */
public final class ExecSession implements StreamHandler {

    /**
     * Every output event holds more than {@link Frame#DATA_FRAME_COST} of a window, so a window
     * bounds the output events; STARTED and the last event make two more.
     */
    static final int MAX_EVENTS = Credit.INITIAL_WINDOW / Frame.DATA_FRAME_COST + 2;

    private enum State { NEW, STARTED, DONE }

    private final AgentConnection connection;
    private final int streamId;
    private final boolean pty;
    private final BlockingQueue<ExecEvent> events = new ArrayBlockingQueue<>(MAX_EVENTS);
    private final Credit stdinCredit = new Credit();
    /** Credit received minus credit granted back: the guest may never push this past the window. */
    private final AtomicLong outstanding = new AtomicLong();
    private volatile State state = State.NEW;

    ExecSession(AgentConnection connection, int streamId, boolean pty) {
        this.connection = connection;
        this.streamId = streamId;
        this.pty = pty;
    }

    public int id() {
        return streamId;
    }

    public boolean isDone() {
        return state == State.DONE;
    }

    /** The next event, or null when none arrived within the timeout. After {@link ExecEvent.Exit} or {@link ExecEvent.Failed} there are none. */
    public ExecEvent next(Duration timeout) throws InterruptedException {
        ExecEvent e = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        int n = switch (e) {
            case ExecEvent.Stdout o -> o.data().length;
            case ExecEvent.Stderr o -> o.data().length;
            case null, default -> -1;
        };
        if (n >= 0) {
            long cost = Frame.cost(n);
            outstanding.addAndGet(-cost);
            if (state != State.DONE) {
                try {
                    connection.send(new Frame(Frame.WINDOW, streamId, Payload.writer().u32((int) cost).toBytes()));
                } catch (AgentException ignored) {
                    // the channel is going away; the reader will report it
                }
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
        stdinCredit.take(0, connection.limits().sendTimeout());
        connection.send(Frame.of(Frame.STDIN, streamId));
    }

    /** Whether the exec runs on a terminal ({@link ExecRequest#withPty}): all its output is stdout. */
    public boolean isPty() {
        return pty;
    }

    /**
     * Delivers a signal to the exec's process group; on a terminal to its foreground process
     * group (the job a shell runs), as a key like ^C would.
     */
    public void signal(int signal) throws AgentException {
        connection.send(new Frame(Frame.SIGNAL, streamId, Payload.writer().u32(signal).toBytes()));
    }

    /** Resizes the exec's terminal (the guest's programs get SIGWINCH). */
    public void resize(int cols, int rows) throws AgentException {
        ExecRequest.Pty size = new ExecRequest.Pty(cols, rows);
        if (!pty) {
            throw new IllegalStateException("exec " + streamId + " has no terminal to resize");
        }
        connection.send(new Frame(Frame.RESIZE, streamId, Payload.writer().u16(size.cols()).u16(size.rows()).toBytes()));
    }

    /** Kills the exec's process group and forgets the stream; no exit event follows. */
    public void kill() {
        abort("killed by the host");
    }

    private void abort(String reason) {
        if (finish(new ExecEvent.Failed(reason), true)) {
            try {
                connection.send(Frame.of(Frame.CLOSE, streamId));
            } catch (AgentException ignored) {
                // nothing left to kill if the channel is gone
            }
        }
    }

    /**
     * Waits for the exit, collecting output up to {@link AgentLimits#maxAwaitOutputBytes} per
     * stream (the rest is counted, not kept); kills the exec when the timeout passes.
     */
    public ExecResult await(Duration timeout) throws AgentException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int cap = connection.limits().maxAwaitOutputBytes();
        BoundedOutput out = new BoundedOutput(cap);
        BoundedOutput err = new BoundedOutput(cap);
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
                case ExecEvent.Stdout o -> out.write(o.data());
                case ExecEvent.Stderr o -> err.write(o.data());
                case ExecEvent.Exit x -> {
                    return new ExecResult(x.exitCode(), x.signal(), out.bytes(), err.bytes(), out.dropped(), err.dropped());
                }
                case ExecEvent.Failed f -> throw new AgentException("exec failed: " + f.message());
            }
        }
    }

    @Override
    public void onFrame(Frame f) throws AgentProtocolException {
        if (state == State.DONE) {
            return;
        }
        switch (f.type()) {
            case Frame.STARTED -> {
                expect(State.NEW, "STARTED");
                Payload.Reader r = Payload.reader(f);
                int pid = r.i32();
                r.end();
                state = State.STARTED;
                queue(new ExecEvent.Started(pid));
            }
            case Frame.STDOUT, Frame.STDERR -> {
                String name = f.type() == Frame.STDOUT ? "STDOUT" : "STDERR";
                expect(State.STARTED, name);
                if (pty && f.type() == Frame.STDERR) {
                    throw new AgentProtocolException("STDERR on a terminal exec", false);
                }
                if (f.payload().length == 0) {
                    throw new AgentProtocolException("empty " + name + " frame", false);
                }
                if (outstanding.addAndGet(Frame.cost(f.payload().length)) > Credit.INITIAL_WINDOW) {
                    throw new AgentProtocolException("agent sent beyond the flow-control window", false);
                }
                queue(f.type() == Frame.STDOUT ? new ExecEvent.Stdout(f.payload()) : new ExecEvent.Stderr(f.payload()));
            }
            case Frame.WINDOW -> {
                expect(State.STARTED, "WINDOW");
                Payload.Reader r = Payload.reader(f);
                long inc = r.i32() & 0xFFFFFFFFL;
                r.end();
                if (!stdinCredit.grant(inc)) {
                    throw new AgentProtocolException("agent granted an impossible window", false);
                }
            }
            case Frame.EXIT -> {
                expect(State.STARTED, "EXIT");
                Payload.Reader r = Payload.reader(f);
                int code = r.i32();
                int sig = r.i32();
                r.end();
                finish(new ExecEvent.Exit(code, sig), false);
            }
            case Frame.ERROR -> {
                Payload.Reader r = Payload.reader(f);
                String message = r.str();
                r.end();
                finish(new ExecEvent.Failed(message), false);
            }
            case Frame.CLOSE -> finish(new ExecEvent.Failed("the guest closed the exec stream"), false);
            default -> throw new AgentProtocolException("frame type " + Frame.typeName(f.type()) + " on an exec stream", false);
        }
    }

    private void expect(State wanted, String frame) throws AgentProtocolException {
        if (state != wanted) {
            throw new AgentProtocolException(frame + (state == State.NEW ? " before STARTED" : " after STARTED"), false);
        }
    }

    private void queue(ExecEvent e) throws AgentProtocolException {
        if (!events.offer(e)) {
            throw new AgentProtocolException("more than " + MAX_EVENTS + " events queued", false);
        }
    }

    @Override
    public void onViolation(String reason) {
        abort("agent broke the protocol on this exec: " + reason);
    }

    @Override
    public void onChannelClosed(String reason) {
        finish(new ExecEvent.Failed("agent channel closed: " + reason), false);
    }

    @Override
    public long queuedCredit() {
        return outstanding.get();
    }

    private synchronized boolean finish(ExecEvent last, boolean byHost) {
        if (state == State.DONE) {
            return false;
        }
        state = State.DONE;
        stdinCredit.cancel();
        connection.forget(streamId, byHost);
        if (!events.offer(last)) {
            // cannot happen: MAX_EVENTS leaves room for the last event; never lose the end
            events.poll();
            events.offer(last);
        }
        return true;
    }
}
