package dev.burrow.daemon.metrics;

import dev.burrow.daemon.microvms.lifecycle.Lifecycle;
import dev.burrow.vmm.StartPath;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs by how the microVM came to run (a standby claimed, a warm VMM, a restore from nothing),
 * failed runs, and run latency (the run call to RUNNING, run hook included) per start path.
 */
public final class RunMetrics implements Lifecycle.RunListener {

    /** Run latency buckets, seconds: a standby's tens of ms to a cold boot's seconds. */
    static final double[] BOUNDS = {0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final Map<StartPath, Histogram> latency = new EnumMap<>(StartPath.class);
    private final LongAdder failed = new LongAdder();

    public RunMetrics() {
        for (StartPath p : StartPath.values()) {
            latency.put(p, new Histogram(BOUNDS));
        }
    }

    /** The label value of a start path, as the Burrow-Start header says it. */
    public static String label(StartPath p) {
        return p.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public void started(StartPath path, long nanos) {
        latency.get(path).observe(nanos / 1e9);
    }

    @Override
    public void failed(long nanos) {
        failed.increment();
    }

    public long runs(StartPath path) {
        return latency.get(path).count();
    }

    /** Adds this to {@code metrics}: the runs counter, failures, and the latency histogram. */
    public RunMetrics register(Metrics metrics) {
        metrics.add(out -> {
            out.family("burrow_microvm_runs_total", "counter", "MicroVMs run, by how they came to run (standby, warm or cold)");
            latency.forEach((p, h) -> out.sample("burrow_microvm_runs_total", h.count(), "start", label(p)));
        });
        metrics.add(out -> out.family("burrow_microvm_run_failures_total", "counter", "Runs that failed to start")
                .sample("burrow_microvm_run_failures_total", failed.sum()));
        metrics.add(out -> {
            out.family("burrow_microvm_run_seconds", "histogram", "Run latency: the run call to RUNNING (run hook included), by start path");
            latency.forEach((p, h) -> h.write(out, "burrow_microvm_run_seconds", "start", label(p)));
        });
        return this;
    }
}
