package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The standby setting and what a run reports, through a real burrowd: {@code standby} checked
 * like the other version settings, changed by a PATCH, each run's start path in its
 * {@code Burrow-Start} header and counted by GET /metrics (no key needed).
 */
class StandbyApiTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** A standby's restore under TCG on a loaded host. */
    private static final Duration STANDBY_READY = Duration.ofSeconds(90);
    private static final Duration POLL = Duration.ofMillis(100);
    private static TestDaemon d;

    @BeforeAll
    static void start() throws Exception {
        d = TestDaemon.start("standby");
    }

    @AfterAll
    static void stop() throws Exception {
        d.close();
    }

    private static HttpResponse<String> metrics() throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(d.base + "/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double sample(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        assertThat(m.find()).as("%s in %s", series, text).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aStandbyCountOutOfRangeIsRefusedNamingTheFieldAndTheRange() throws Exception {
        JsonNode problem = d.call("POST", "/v1/images", "{\"name\":\"sb\",\"source\":{\"type\":\"path\",\"path\":\"/nonexistent\","
                + "\"format\":\"oci-layout\"},\"standby\":9}", 400);

        assertThat(problem.toString()).contains("standby", "between 0 and 8");
    }

    @Test
    void metricsAnswerWithoutAKeyAsPrometheusText() throws Exception {
        HttpResponse<String> r = metrics();

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
        assertThat(r.body()).contains("# TYPE burrow_microvm_runs_total counter\n", "# TYPE burrow_microvm_run_seconds histogram\n",
                "# TYPE burrow_standby_ready gauge\n");
        assertThat(sample(r.body(), "burrow_standby_budget_mib")).isEqualTo(1024);
    }

    @Test
    void aRunSaysHowItStartedAndTheMetricCountsIt() throws Exception {
        d.buildBusybox("bb");
        JsonNode patched = d.call("PATCH", "/v1/images/bb/versions/1", "{\"standby\":1}", 200);
        assertThat(patched.get("standby").asInt()).isEqualTo(1);
        assertThat(patched.get("status").asText()).isEqualTo("ACTIVE");
        d.call("PATCH", "/v1/images/bb/versions/1", "{\"standby\":99}", 400);

        HttpResponse<String> run = d.send("POST", "/v1/microvms", HttpRequest.BodyPublishers.ofString("{\"image\":\"bb\"}"));
        assertThat(run.statusCode()).as(run.body()).isEqualTo(201);
        String start = run.headers().firstValue("Burrow-Start").orElseThrow();

        assertThat(start).isIn("standby", "warm", "cold");
        String text = metrics().body();
        assertThat(sample(text, "burrow_microvm_runs_total{start=\"" + start + "\"}")).isEqualTo(1);
        assertThat(sample(text, "burrow_microvm_run_seconds_count{start=\"" + start + "\"}")).isEqualTo(1);
        assertThat(sample(text, "burrow_standby_kept")).isEqualTo(1); // 256 MiB within the default budget

        // once the engine has the standby ready, the next run claims it and says so
        long deadline = System.nanoTime() + STANDBY_READY.toNanos();
        while (sample(metrics().body(), "burrow_standby_ready") < 1) {
            assertThat(System.nanoTime()).as("a standby ready within %s", STANDBY_READY).isLessThan(deadline);
            Thread.sleep(POLL.toMillis());
        }
        HttpResponse<String> claimed = d.send("POST", "/v1/microvms", HttpRequest.BodyPublishers.ofString("{\"image\":\"bb\"}"));
        assertThat(claimed.statusCode()).as(claimed.body()).isEqualTo(201);
        assertThat(claimed.headers().firstValue("Burrow-Start")).contains("standby");
        assertThat(sample(metrics().body(), "burrow_microvm_runs_total{start=\"standby\"}")).isEqualTo("standby".equals(start) ? 2 : 1);
    }
}
