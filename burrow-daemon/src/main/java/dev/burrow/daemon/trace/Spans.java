package dev.burrow.daemon.trace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timed steps of one API call. {@link #run} binds a recorder to the call's thread; inside
 * it, {@link #time} opens a step and {@link #mark} notes a moment (the first output byte). Steps
 * nest and each keeps only its own time: a commit inside the engine call counts as the commit,
 * not twice, so the steps and {@link Trace#unaccounted} add up to the call's total.
 *
 * <p>Recording happens only while a listener is registered ({@link #listen}) or this class logs
 * at DEBUG; otherwise {@link #time} and {@link #mark} cost one unbound-scope check. Work the call
 * hands to another thread (a run that does not wait) is not recorded.
 */
public final class Spans {

    private static final Logger LOG = LoggerFactory.getLogger(Spans.class);
    private static final ScopedValue<Spans> CURRENT = ScopedValue.newInstance();
    private static final List<Consumer<Trace>> LISTENERS = new CopyOnWriteArrayList<>();
    /** Distinct step names one call keeps; more are folded into {@value #OVERFLOW}. */
    static final int MAX_STEPS = 32;
    static final String OVERFLOW = "other-steps";
    private static final Step NONE = new Step(null, null, 0);

    /** One named step: its own time (nested steps taken out) and how often it ran. */
    public record Total(long nanos, int count) {
        public double millis() {
            return nanos / 1e6;
        }
    }

    /** A finished call: total wall time, its steps in first-seen order, and the marks (ns after the start). */
    public record Trace(String method, String path, long totalNanos, Map<String, Total> steps, Map<String, Long> marks) {

        /** The call's time no step accounts for (Jetty's handling inside the call, validation, small work between steps). */
        public long unaccounted() {
            return totalNanos - steps.values().stream().mapToLong(Total::nanos).sum();
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(method).append(' ').append(path).append(String.format(" %.2f ms:", totalNanos / 1e6));
            steps.forEach((k, v) -> b.append(String.format(" %s %.2f", k, v.millis())).append(v.count() > 1 ? "×" + v.count() : ""));
            marks.forEach((k, v) -> b.append(String.format(" @%s %.2f", k, v / 1e6)));
            return b.append(String.format(" rest %.2f", unaccounted() / 1e6)).toString();
        }
    }

    /** An open step; closing it adds its own time. */
    public static final class Step implements AutoCloseable {
        private final Spans owner;
        private final String name;
        private final long start;
        private Step parent;
        private long childNanos;

        private Step(Spans owner, String name, long start) {
            this.owner = owner;
            this.name = name;
            this.start = start;
        }

        @Override
        public void close() {
            if (owner != null) {
                owner.end(this);
            }
        }
    }

    private final long start = System.nanoTime();
    private final Map<String, long[]> steps = new LinkedHashMap<>();
    private final Map<String, Long> marks = new LinkedHashMap<>();
    private Step open;

    private Spans() {}

    /** Runs {@code call} with a recorder bound when anyone listens, then hands the trace to the listeners. */
    public static void run(String method, String path, Runnable call) {
        if (LISTENERS.isEmpty() && !LOG.isDebugEnabled()) {
            call.run();
            return;
        }
        Spans s = new Spans();
        try {
            ScopedValue.where(CURRENT, s).run(call);
        } finally {
            Trace t = s.finish(method, path);
            LOG.debug("{}", t);
            for (Consumer<Trace> l : LISTENERS) {
                try {
                    l.accept(t);
                } catch (RuntimeException e) {
                    LOG.warn("a trace listener failed: {}", e.toString());
                }
            }
        }
    }

    /** Hears every finished call's trace (benchmarks, tests) until closed. */
    public static AutoCloseable listen(Consumer<Trace> listener) {
        LISTENERS.add(listener);
        return () -> LISTENERS.remove(listener);
    }

    /** Opens step {@code name} on this call (a no-op outside a recorded call); close it when the step ends. */
    public static Step time(String name) {
        if (!CURRENT.isBound()) {
            return NONE;
        }
        return CURRENT.get().begin(name);
    }

    /** Notes the first time this call reached {@code name} (e.g. its first output byte). */
    public static void mark(String name) {
        if (CURRENT.isBound()) {
            CURRENT.get().note(name);
        }
    }

    private synchronized Step begin(String name) {
        Step s = new Step(this, name, System.nanoTime());
        s.parent = open;
        open = s;
        return s;
    }

    private synchronized void end(Step s) {
        long elapsed = System.nanoTime() - s.start;
        String name = steps.containsKey(s.name) || steps.size() < MAX_STEPS ? s.name : OVERFLOW;
        long[] t = steps.computeIfAbsent(name, k -> new long[2]);
        t[0] += elapsed - s.childNanos;
        t[1]++;
        if (s.parent != null) {
            s.parent.childNanos += elapsed;
        }
        open = s.parent;
    }

    private synchronized void note(String name) {
        marks.putIfAbsent(name, System.nanoTime() - start);
    }

    private synchronized Trace finish(String method, String path) {
        long total = System.nanoTime() - start;
        Map<String, Total> out = new LinkedHashMap<>();
        steps.forEach((k, v) -> out.put(k, new Total(v[0], (int) v[1])));
        return new Trace(method, path, total, out, new LinkedHashMap<>(marks));
    }
}
