package dev.burrow.daemon.metrics;

import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram of seconds over fixed upper bounds, cumulative when written. */
public final class Histogram {

    private final double[] bounds;
    private final LongAdder[] counts;
    private final LongAdder count = new LongAdder();
    private final DoubleAdder sum = new DoubleAdder();

    /** {@code bounds}: the buckets' upper bounds in seconds, ascending (+Inf is added). */
    public Histogram(double... bounds) {
        for (int i = 1; i < bounds.length; i++) {
            if (bounds[i] <= bounds[i - 1]) {
                throw new IllegalArgumentException("histogram bounds must ascend");
            }
        }
        this.bounds = bounds.clone();
        this.counts = new LongAdder[bounds.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void observe(double seconds) {
        for (int i = 0; i < bounds.length; i++) {
            if (seconds <= bounds[i]) {
                counts[i].increment();
                break;
            }
        }
        count.increment();
        sum.add(seconds);
    }

    public long count() {
        return count.sum();
    }

    /** The samples {@code name_bucket}, {@code name_sum}, {@code name_count} with {@code labels} before {@code le}. */
    void write(PrometheusText out, String name, String... labels) {
        long cumulative = 0;
        String[] withLe = new String[labels.length + 2];
        System.arraycopy(labels, 0, withLe, 0, labels.length);
        withLe[labels.length] = "le";
        for (int i = 0; i < bounds.length; i++) {
            cumulative += counts[i].sum();
            withLe[labels.length + 1] = PrometheusText.number(bounds[i]);
            out.sample(name + "_bucket", cumulative, withLe);
        }
        long total = count.sum(); // read after the buckets: +Inf is never below the last bucket
        withLe[labels.length + 1] = "+Inf";
        out.sample(name + "_bucket", Math.max(total, cumulative), withLe);
        out.sample(name + "_sum", sum.sum(), labels);
        out.sample(name + "_count", Math.max(total, cumulative), labels);
    }
}
