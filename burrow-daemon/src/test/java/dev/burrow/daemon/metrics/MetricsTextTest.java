package dev.burrow.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.burrow.vmm.StartPath;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** GET /metrics' text is Prometheus text 0.0.4 a scraper parses: families declared once, samples well formed, histograms cumulative. */
class MetricsTextTest {

    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\.)*\"(?:,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\.)*\")*)\\})? "
                    + "(-?[0-9.]+(?:e[-+]?[0-9]+)?|[+-]Inf|NaN)");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");

    /** Parses the text as a scraper would, failing on any line that is not a comment or a sample of a declared family. */
    static Map<String, Double> parse(String text) {
        Map<String, String> types = new LinkedHashMap<>();
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# HELP ")) {
                continue;
            }
            Matcher t = TYPE.matcher(line);
            if (t.matches()) {
                assertThat(types.put(t.group(1), t.group(2))).as("family %s declared once", t.group(1)).isNull();
                continue;
            }
            Matcher s = SAMPLE.matcher(line);
            assertThat(s.matches()).as("a sample line: %s", line).isTrue();
            String name = s.group(1);
            String family = name.replaceFirst("_(bucket|sum|count)$", "");
            assertThat(types).as("the family of %s is declared before it", name).containsKey(types.containsKey(name) ? name : family);
            double v = s.group(4).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(s.group(4));
            assertThat(samples.put(name + (s.group(2) == null ? "" : s.group(2)), v)).as("one sample per series: %s", line).isNull();
        }
        assertThat(text).endsWith("\n");
        return samples;
    }

    @Test
    void runMetricsParseAndCountEachRunOnceUnderItsStartPath() {
        RunMetrics runs = new RunMetrics();
        runs.started(StartPath.STANDBY, 30_000_000L);
        runs.started(StartPath.STANDBY, 70_000_000L);
        runs.started(StartPath.COLD, 400_000_000L);
        runs.failed(1_000_000L);
        Metrics m = new Metrics();
        runs.register(m);
        m.gauge("burrow_standby_ready", "ready", () -> 2);

        Map<String, Double> s = parse(m.text());

        assertThat(s).containsEntry("burrow_microvm_runs_total{start=\"standby\"}", 2.0)
                .containsEntry("burrow_microvm_runs_total{start=\"warm\"}", 0.0)
                .containsEntry("burrow_microvm_runs_total{start=\"cold\"}", 1.0)
                .containsEntry("burrow_microvm_run_failures_total", 1.0)
                .containsEntry("burrow_microvm_run_seconds_bucket{start=\"standby\",le=\"0.025\"}", 0.0)
                .containsEntry("burrow_microvm_run_seconds_bucket{start=\"standby\",le=\"0.05\"}", 1.0)
                .containsEntry("burrow_microvm_run_seconds_bucket{start=\"standby\",le=\"0.1\"}", 2.0)
                .containsEntry("burrow_microvm_run_seconds_bucket{start=\"standby\",le=\"+Inf\"}", 2.0)
                .containsEntry("burrow_microvm_run_seconds_count{start=\"cold\"}", 1.0)
                .containsEntry("burrow_standby_ready", 2.0);
        assertThat(s.get("burrow_microvm_run_seconds_sum{start=\"standby\"}")).isCloseTo(0.1, offset(1e-9));
    }

    @Test
    void histogramBucketsNeverDecreaseAndEndAtTheCount() {
        Histogram h = new Histogram(RunMetrics.BOUNDS);
        for (double v : new double[] {0.001, 0.2, 0.2, 3, 100}) {
            h.observe(v);
        }
        PrometheusText out = new PrometheusText().family("x_seconds", "histogram", "x");
        h.write(out, "x_seconds");

        Map<String, Double> s = parse(out.toString());
        List<Double> buckets = new ArrayList<>();
        s.forEach((k, v) -> {
            if (k.startsWith("x_seconds_bucket")) {
                buckets.add(v);
            }
        });
        assertThat(buckets).isSorted().hasSize(RunMetrics.BOUNDS.length + 1).endsWith(5.0);
        assertThat(s).containsEntry("x_seconds_count", 5.0).containsEntry("x_seconds_bucket{le=\"0.25\"}", 3.0);
    }

    @Test
    void labelValuesAreEscaped() {
        String text = new PrometheusText().family("y", "gauge", "a \\ help\nline").sample("y", 1.5, "k", "a\"b\\c\nd").toString();

        assertThat(text).contains("y{k=\"a\\\"b\\\\c\\nd\"} 1.5\n", "# HELP y a \\\\ help\\nline\n");
        Set<String> names = new HashSet<>(parse(text).keySet());
        assertThat(names).hasSize(1);
    }
}
