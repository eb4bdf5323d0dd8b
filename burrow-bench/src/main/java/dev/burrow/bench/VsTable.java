package dev.burrow.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The side-by-side table of issue 13: per system, start to first output of {@code echo} as
 * p50, p90 and min, and Burrow's p50 as a multiple of each other system's p50.
 */
final class VsTable {

    /** One system's line: its name, what exactly was timed, and the sample. */
    record Row(String system, String measured, Stats stats) {}

    private final List<Row> rows = new ArrayList<>();

    VsTable add(String system, String measured, Stats stats) {
        rows.add(new Row(system, measured, stats));
        return this;
    }

    /** The markdown table, one row per system in the order added. */
    String table() {
        StringBuilder md = new StringBuilder("| system | start to first output of `echo hi` | p50 ms | p90 ms | min ms | n |\n")
                .append("|---|---|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.1f | %d |%n", r.system(), r.measured(),
                    r.stats().percentile(50), r.stats().percentile(90), r.stats().percentile(0), r.stats().count()));
        }
        return md.toString();
    }

    /** {@code "<of>/<to> p50: 1.40×"}: how many times {@code to}'s p50 the p50 of {@code of} is. */
    String ratio(String of, String to) {
        double r = row(of).stats().percentile(50) / row(to).stats().percentile(50);
        return String.format(Locale.ROOT, "%s/%s p50: %.2f×", of, to, r);
    }

    private Row row(String system) {
        return rows.stream().filter(r -> r.system().equals(system)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no row " + system));
    }
}
