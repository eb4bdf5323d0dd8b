package dev.burrow.daemon.api;

import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.vmm.agent.ExecEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Terminals without a microVM: an echo terminal that records what reaches it. Input is echoed
 * back; the byte 0x04 (Ctrl-D) exits 0; signal n exits 128 + n; {@link #flood} makes the next
 * terminal produce endless output for as long as it is read. Microvm ids in {@link #known} exist
 * for tenant "a" only; {@link #suspended} ones answer 409 as a SUSPENDED microVM without autoResume.
 */
final class FakePtys implements Pty.Backend {

    final Set<String> known = ConcurrentHashMap.newKeySet();
    final Set<String> suspended = ConcurrentHashMap.newKeySet();
    final List<Terminal> opened = new CopyOnWriteArrayList<>();
    final AtomicInteger touches = new AtomicInteger();
    volatile String tenant = "a";
    volatile boolean flood;

    @Override
    public Pty open(String tenantId, String microVmId, Pty.Request request, String requestId) {
        if (!known.contains(microVmId) || !tenantId.equals(tenant)) {
            throw new NotFoundException("no microVM " + microVmId);
        }
        if (suspended.contains(microVmId)) {
            throw new ConflictException("microVM " + microVmId + " is SUSPENDED; resume it first: POST /v1/microvms/" + microVmId + "/resume");
        }
        Terminal t = new Terminal(request, flood);
        opened.add(t);
        return t;
    }

    @Override
    public void touch(String microVmId) {
        touches.incrementAndGet();
    }

    @Override
    public boolean suspended(String tenantId, String microVmId) {
        return suspended.contains(microVmId);
    }

    Terminal last() {
        return opened.getLast();
    }

    static final class Terminal implements Pty {

        final Pty.Request request;
        final boolean flood;
        final LinkedBlockingQueue<ExecEvent> events = new LinkedBlockingQueue<>();
        final StringBuffer input = new StringBuffer();
        final List<String> resizes = new CopyOnWriteArrayList<>();
        final List<Integer> signals = new CopyOnWriteArrayList<>();
        final AtomicBoolean killed = new AtomicBoolean();
        final AtomicLong taken = new AtomicLong();
        private volatile boolean done;

        Terminal(Pty.Request request, boolean flood) {
            this.request = request;
            this.flood = flood;
            events.add(new ExecEvent.Started(1));
        }

        @Override
        public ExecEvent next(Duration timeout) throws InterruptedException {
            if (flood && !done) {
                byte[] chunk = new byte[64 * 1024];
                taken.addAndGet(chunk.length);
                return new ExecEvent.Stdout(chunk);
            }
            ExecEvent e = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (e instanceof ExecEvent.Stdout o) {
                taken.addAndGet(o.data().length);
            }
            return e;
        }

        @Override
        public void write(byte[] data, Duration timeout) throws IOException {
            if (done) {
                throw new IOException("stream is closed");
            }
            input.append(new String(data, StandardCharsets.ISO_8859_1));
            for (byte b : data) {
                if (b == 4) {
                    finish(new ExecEvent.Exit(0, 0));
                    return;
                }
            }
            events.add(new ExecEvent.Stdout(data));
        }

        @Override
        public void resize(int cols, int rows) {
            resizes.add(cols + "x" + rows);
        }

        @Override
        public void signal(int signal) {
            signals.add(signal);
            finish(new ExecEvent.Exit(128 + signal, signal));
        }

        /** The guest side ends the stream (a suspend, a lost channel). */
        void fail(String why) {
            finish(new ExecEvent.Failed(why));
        }

        @Override
        public void kill() {
            killed.set(true);
            finish(new ExecEvent.Failed("killed by the host"));
        }

        private synchronized void finish(ExecEvent last) {
            if (!done) {
                done = true;
                events.add(last);
            }
        }
    }
}
