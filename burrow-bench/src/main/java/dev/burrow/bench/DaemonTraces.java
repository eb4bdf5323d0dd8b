package dev.burrow.bench;

import dev.burrow.daemon.trace.Spans;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The in-process burrowd's call traces ({@link Spans}), taken per call as the benchmark needs
 * them. A daemon built before the traces existed (a "before" jar on the class path) has no
 * {@link Spans}: then {@link #start} says so and the benchmark prints no breakdown.
 */
final class DaemonTraces implements AutoCloseable {

    /** One finished call as the benchmark reads it: wall time, each step's own time, the marks (all ms). */
    record Call(String method, String path, double totalMs, Map<String, Double> steps, Map<String, Integer> counts,
                Map<String, Double> marks) {

        double step(String name) {
            return steps.getOrDefault(name, 0.0);
        }

        /** How often step {@code name} ran in this call. */
        int count(String name) {
            return counts.getOrDefault(name, 0);
        }
    }

    private final BlockingQueue<Call> calls = new LinkedBlockingQueue<>();
    private final AutoCloseable listening;

    private DaemonTraces(boolean on) {
        this.listening = on ? Spans.listen(t -> calls.add(of(t))) : null;
    }

    /** Listens to the daemon's traces, or returns a recorder that hears nothing when this daemon has none. */
    static DaemonTraces start() {
        try {
            return new DaemonTraces(true);
        } catch (NoClassDefFoundError before) {
            return new DaemonTraces(false);
        }
    }

    boolean on() {
        return listening != null;
    }

    /** Forgets every call heard so far (the set-up's, a termination's). */
    void clear() {
        calls.clear();
    }

    /** The next call of {@code method} on a path ending in {@code suffix}, skipping others; null when none came within {@code within}. */
    Call next(String method, String suffix, Duration within) throws InterruptedException {
        if (!on()) {
            return null;
        }
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            Call c = calls.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (c == null || c.method().equals(method) && c.path().endsWith(suffix)) {
                return c;
            }
        }
    }

    private static Call of(Spans.Trace t) {
        Map<String, Double> steps = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        t.steps().forEach((k, v) -> {
            steps.put(k, v.millis());
            counts.put(k, v.count());
        });
        Map<String, Double> marks = new LinkedHashMap<>();
        t.marks().forEach((k, v) -> marks.put(k, v / 1e6));
        return new Call(t.method(), t.path(), t.totalNanos() / 1e6, steps, counts, marks);
    }

    @Override
    public void close() throws Exception {
        if (listening != null) {
            listening.close();
        }
    }
}
