package dev.burrow.oci.registry.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Bounds how long a response body may stall: the JDK's HTTP client times out only until the
 * headers arrive. A watched body that makes no progress for the read timeout is closed, so the read fails instead of hanging a pull (and every pull waiting on
 * the same blob) forever. Closing the JDK's body stream wakes a read blocked on it with an
 * {@code IOException}.
 */
public final class StallWatch {
    /** How often stalled bodies are looked for. */
    static final Duration CHECK_INTERVAL = Duration.ofMillis(250);
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "burrow-registry-stall-watch");
        t.setDaemon(true);
        return t;
    });
    private static final Set<Body> WATCHED = ConcurrentHashMap.newKeySet();

    static {
        long every = CHECK_INTERVAL.toMillis();
        TIMER.scheduleWithFixedDelay(StallWatch::check, every, every, TimeUnit.MILLISECONDS);
    }

    private StallWatch() {
    }

    /** Watches {@code in}; close the result when done. */
    public static Body watch(InputStream in, Duration timeout) {
        Body b = new Body(in, timeout.toNanos());
        WATCHED.add(b);
        return b;
    }

    private static void check() {
        long now = System.nanoTime();
        for (Body b : WATCHED) {
            b.fireIfStalled(now);
        }
    }

    /** A body whose reads count as progress. */
    public static final class Body extends FilterInputStream {
        private final long timeoutNanos;
        private volatile long lastProgress = System.nanoTime();
        private boolean fired;
        private boolean done;

        private Body(InputStream in, long timeoutNanos) {
            super(in);
            this.timeoutNanos = timeoutNanos;
        }

        /** True when the watch cut this body off. */
        public synchronized boolean stalled() {
            return fired;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            lastProgress = System.nanoTime();
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            lastProgress = System.nanoTime();
            return n;
        }

        private void fireIfStalled(long now) {
            synchronized (this) {
                if (done || fired || now - lastProgress < timeoutNanos) {
                    return;
                }
                fired = true;
            }
            try {
                in.close();
            } catch (IOException ignored) {
                // the reader sees the failure
            }
        }

        @Override
        public void close() throws IOException {
            WATCHED.remove(this);
            synchronized (this) {
                done = true;
            }
            in.close();
        }
    }
}
