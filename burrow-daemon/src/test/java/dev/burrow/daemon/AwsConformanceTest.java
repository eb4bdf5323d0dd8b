package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The Lambda MicroVMs conformance group (SPEC §8, issue 12): AWS's own SDKs — boto3 and
 * {@code @aws-sdk/client-lambda-microvms} — drive one real burrowd with SigV4 credentials that
 * its admin API issued, through the scripts in contrib/aws-conformance (each prints how many
 * responses it checked against the service model). The interpreters come from .ci/run: a
 * virtualenv with boto3 and {@code npm ci}; missing ones FAIL the group with what to run, unless a
 * developer opts out with {@value #OPT_OUT}=1 outside CI.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AwsConformanceTest {

    static final Path DIR = Path.of("..", "contrib", "aws-conformance").toAbsolutePath().normalize();
    /** A developer without the SDKs may skip the group (never in CI). */
    static final String OPT_OUT = "BURROW_SKIP_AWS_CONFORMANCE";
    /** Two image builds (a cold boot and a snapshot each under TCG) and a handful of microVMs. */
    private static final Duration SCENARIO_DEADLINE = Duration.ofMinutes(12);
    static final Duration UNIT_DEADLINE = Duration.ofMinutes(2);
    /** How long the output pump may take to hand over a finished script's last lines. */
    private static final Duration PUMP_DRAIN = Duration.ofSeconds(5);
    /** The bench's rounds (scripts/bench-aws sets it); without it the bench does not run. */
    static final String BENCH_ROUNDS = "burrow.bench.aws.rounds";
    private static final Duration BENCH_DEADLINE = Duration.ofMinutes(60);
    private static final Pattern VALIDATED = Pattern.compile("^validated responses: (\\d+)$", Pattern.MULTILINE);
    private static final String REGION = "us-east-1";

    private TestDaemon daemon;
    private Credentials tenant;
    private Credentials other;

    /** What the scripts need of one tenant: its bearer key and the AWS credentials of that key. */
    record Credentials(String bearer, String accessKeyId, String secretAccessKey) {}

    @BeforeAll
    void startDaemon() throws Exception {
        requireInterpreters();
        daemon = TestDaemon.start("aws-conformance");
        tenant = credentials("aws-conf-a");
        other = credentials("aws-conf-b");
    }

    @AfterAll
    void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void boto3RunsTheWholeFlowAndEveryResponseConformsToTheModel() throws Exception {
        Run r = run(SCENARIO_DEADLINE, scriptEnvironment(), AwsSdks.python(), "conformance.py");
        assertConformed(r);
    }

    @Test
    void theJavaScriptSdkRunsTheFlowAndParsesAModeledError() throws Exception {
        Path responses = daemon.dataDir.resolve("js-responses.jsonl");
        Map<String, String> env = new HashMap<>(scriptEnvironment());
        env.put("BURROW_AWS_RESPONSE_LOG", responses.toString());
        Run js = run(SCENARIO_DEADLINE, env, AwsSdks.node(), "conformance.mjs");
        assertThat(js.exit()).as("exit status; the output:%n%s", js.output()).isZero();
        // the raw responses the SDK received, held to the model as boto3's are
        assertConformed(run(UNIT_DEADLINE, Map.of(), AwsSdks.python(), "model_check.py", responses.toString()));
    }

    /** scripts/bench-aws: RunMicrovm → first byte through boto3 beside the same through /v1, in this daemon. */
    @Test
    @EnabledIfSystemProperty(named = BENCH_ROUNDS, matches = "[1-9][0-9]*")
    void benchRunToFirstByteThroughBothDoors() throws Exception {
        Map<String, String> env = new HashMap<>(scriptEnvironment());
        env.put("BURROW_AWS_BENCH_ROUNDS", System.getProperty(BENCH_ROUNDS));
        assertConformed(run(BENCH_DEADLINE, env, AwsSdks.python(), "bench.py"));
    }

    private static void assertConformed(Run r) {
        assertThat(r.exit()).as("exit status; the output:%n%s", r.output()).isZero();
        Matcher m = VALIDATED.matcher(r.output());
        assertThat(m.find()).as("the script printed its count of validated responses:%n%s", r.output()).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isPositive();
    }

    private Map<String, String> scriptEnvironment() {
        return Map.of("BURROW_AWS_ENDPOINT", daemon.base, "BURROW_AWS_REGION", REGION,
                "BURROW_AWS_BEARER", tenant.bearer(), "BURROW_AWS_ACCESS_KEY_ID", tenant.accessKeyId(),
                "BURROW_AWS_SECRET_ACCESS_KEY", tenant.secretAccessKey(),
                "BURROW_AWS_OTHER_ACCESS_KEY_ID", other.accessKeyId(), "BURROW_AWS_OTHER_SECRET_ACCESS_KEY", other.secretAccessKey());
    }

    /** A tenant and a key with AWS credentials, through the admin API as an operator would make them. */
    private Credentials credentials(String name) throws Exception {
        daemon.call("POST", "/v1/admin/tenants", "{\"name\":\"" + name + "\"}", 201);
        JsonNode key = daemon.call("POST", "/v1/admin/keys", "{\"tenant\":\"" + name + "\",\"aws\":true}", 201);
        JsonNode aws = key.path("aws");
        assertThat(aws.path("accessKeyId").asText()).as("the key's AWS credentials: %s", key).matches("AKIA[A-Z2-7]{16}");
        return new Credentials(key.get("key").asText(), aws.get("accessKeyId").asText(), aws.get("secretAccessKey").asText());
    }

    static void requireInterpreters() {
        List<String> missing = AwsSdks.missing();
        if (missing.isEmpty()) {
            return;
        }
        boolean optOut = "1".equals(System.getenv(OPT_OUT)) && !"true".equals(System.getenv("CI"));
        Assumptions.assumeFalse(optOut, OPT_OUT + "=1: the AWS conformance group is skipped");
        fail("the AWS conformance group needs AWS's SDKs: " + String.join("; ", missing)
                + ". .ci/run installs both; by hand: " + AwsSdks.HOW_TO_INSTALL
                + " (a developer may skip the group with " + OPT_OUT + "=1, never CI)");
    }

    /** A finished script: its exit status and everything it printed (also streamed into the test log). */
    record Run(int exit, String output) {}

    static Run run(Duration deadline, Map<String, String> env, String... argv) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(argv).directory(DIR.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("PYTHONUNBUFFERED", "1");
        Process p = pb.start();
        p.getOutputStream().close();
        List<String> lines = new ArrayList<>();
        Thread pump = Thread.ofVirtual().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    System.out.println("[" + argv[argv.length - 1] + "] " + line);
                    synchronized (lines) {
                        lines.add(line);
                    }
                }
            } catch (Exception e) {
                // the process was killed at its deadline: its output ends here
            }
        });
        boolean finished = p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
            p.destroyForcibly().waitFor();
        }
        pump.join(PUMP_DRAIN);
        synchronized (lines) {
            String out = String.join("\n", lines);
            assertThat(finished).as("%s still ran after %s:%n%s", String.join(" ", argv), deadline, out).isTrue();
            return new Run(p.exitValue(), out);
        }
    }

    /** Where the SDKs are: the environment .ci/run exports, else the places it installs them. */
    static final class AwsSdks {
        static final String HOW_TO_INSTALL = "python3 -m venv contrib/aws-conformance/.venv && "
                + "contrib/aws-conformance/.venv/bin/pip install -r contrib/aws-conformance/requirements.txt; (cd contrib/aws-conformance && npm ci)";

        private AwsSdks() {}

        static String python() {
            String p = System.getenv("BURROW_AWS_PYTHON");
            return p != null && !p.isBlank() ? p : DIR.resolve(".venv/bin/python").toString();
        }

        static String node() {
            return "node";
        }

        /** {@code npm ci} in contrib/aws-conformance: node resolves the SDK next to the script, nowhere else. */
        static Path nodeModules() {
            return DIR.resolve("node_modules");
        }

        static List<String> missing() {
            List<String> missing = new ArrayList<>();
            if (!Files.isExecutable(Path.of(python()))) {
                missing.add("no python with boto3 at " + python() + " (BURROW_AWS_PYTHON)");
            }
            if (!Files.isDirectory(nodeModules().resolve("@aws-sdk/client-lambda-microvms"))) {
                missing.add("no @aws-sdk/client-lambda-microvms under " + nodeModules() + " (npm ci there)");
            }
            return missing;
        }
    }
}
