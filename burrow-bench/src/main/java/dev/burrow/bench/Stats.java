package dev.burrow.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Percentiles over a sample of durations in milliseconds (nearest-rank). */
final class Stats {

    private final List<Double> values = new ArrayList<>();

    void add(double v) {
        values.add(v);
    }

    List<Double> values() {
        return List.copyOf(values);
    }

    int count() {
        return values.size();
    }

    double percentile(double p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    double mean() {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    String summary() {
        return String.format("p50 %.1f ms, p95 %.1f ms, min %.1f, max %.1f (n=%d)",
                percentile(50), percentile(95), percentile(0), percentile(100), count());
    }
}
