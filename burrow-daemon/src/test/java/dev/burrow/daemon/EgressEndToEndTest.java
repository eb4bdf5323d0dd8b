package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.daemon.egress.EgressSettings;
import dev.burrow.daemon.egress.FakeResolver;
import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.net.VethPath;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Egress through a real burrowd and real QEMU: names resolve through a fake upstream to a test
 * host in its own namespace ({@link TestHost}); allowlist reaches the allowed name and nothing
 * else, internet reaches the test host, and no mode reaches burrowd's API or a listener on the
 * host. One busybox image for the class; each test restores its own microVMs.
 */
@Tag("security")
class EgressEndToEndTest {

    private static final String ALLOWED = "allowed.test";
    private static final String OTHER = "other.test";
    /** How often a build's state is read while it runs. */
    private static final Duration POLL = Duration.ofMillis(200);

    static FakeResolver resolver;
    static TestDaemon d;
    static TestHost host;
    static ServerSocket hostListener;

    @BeforeAll
    static void start() throws Exception {
        resolver = new FakeResolver(InetAddress.getLoopbackAddress()).answer(ALLOWED, TestHost.ADDRESS).answer(OTHER, TestHost.ADDRESS);
        d = TestDaemon.start("egress", c -> c.withEgress(EgressSettings.DEFAULTS.withUpstreams(List.of(resolver.address()))));
        host = TestHost.start(EngineConfig.instanceIdFor(d.dataDir), d.dataDir.resolve("testhost"));
        hostListener = new ServerSocket(0); // every host address: what no guest may reach
        d.buildBusybox("bb");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (d != null) {
                d.close();
            }
        } finally {
            if (host != null) {
                host.close();
            }
            if (hostListener != null) {
                hostListener.close();
            }
            if (resolver != null) {
                resolver.close();
            }
        }
    }

    @Test
    void allowlistReachesTheAllowedNameAndDeniesAnotherNameAndARawAddress() throws Exception {
        String id = d.run("bb", "\"network\":{\"egress\":\"allowlist\",\"allow\":[\"" + ALLOWED + "\"]}");
        assertThat(d.call("GET", "/v1/microvms/" + id, null, 200).get("network").toString())
                .isEqualTo("{\"egress\":\"allowlist\",\"allow\":[\"" + ALLOWED + "\"]}");

        ExecOutput ok = sh(id, get(ALLOWED, ALLOWED));
        assertThat(ok.stdout()).as("%s\n%s\n%s", ok.stderr(), decisions(id), diagnose(id)).startsWith("HTTP/1.1 200").endsWith(TestHost.PAGE);
        ExecOutput other = sh(id, get(OTHER, OTHER));
        assertThat(other.stdout()).isEmpty();
        assertThat(other.stderr()).contains("nc: bad address");
        ExecOutput raw = sh(id, get(TestHost.ADDRESS, TestHost.ADDRESS));
        assertThat(raw.stdout()).startsWith("HTTP/1.1 403").doesNotContain(TestHost.PAGE);
        // an allowed Host sent to another address still goes to the allowed name's server, never to the guest's choice
        ExecOutput pinned = sh(id, get(TestHost.HOST_SIDE, ALLOWED));
        assertThat(pinned.stdout()).startsWith("HTTP/1.1 200").endsWith(TestHost.PAGE);
        ExecOutput otherPort = sh(id, "nc -w 3 " + TestHost.ADDRESS + " 8080 </dev/null && echo CONNECTED");
        assertThat(otherPort.stdout()).doesNotContain("CONNECTED");

        List<String> decisions = decisions(id);
        assertThat(decisions).contains("dns " + ALLOWED + " allowed", "http " + ALLOWED + " allowed", "dns " + OTHER + " denied",
                "http " + TestHost.ADDRESS + " denied");
        assertThat(decisions).doesNotContain("http " + OTHER + " allowed");
    }

    @Test
    void egressFollowsTheMicroVmThroughSuspendResumeAndFork() throws Exception {
        String id = d.run("bb", "\"network\":{\"egress\":\"allowlist\",\"allow\":[\"" + ALLOWED + "\"]}");
        d.call("POST", "/v1/microvms/" + id + "/suspend", null, 200);
        JsonNode resumed = d.call("POST", "/v1/microvms/" + id + "/resume", null, 200);
        assertThat(resumed.get("network").get("allow").get(0).asText()).isEqualTo(ALLOWED);
        assertThat(sh(id, get(ALLOWED, ALLOWED)).stdout()).endsWith(TestHost.PAGE);
        JsonNode fork = d.call("POST", "/v1/microvms/" + id + "/fork", "{\"count\":1}", 201).get("items").get(0);
        String forkId = fork.get("id").asText();
        assertThat(fork.get("network")).isEqualTo(resumed.get("network"));
        ExecOutput fromFork = sh(forkId, get(ALLOWED, ALLOWED));
        assertThat(fromFork.stdout()).as(fromFork.stderr()).endsWith(TestHost.PAGE);
        assertThat(decisions(forkId)).contains("http " + ALLOWED + " allowed");
        assertThat(sh(id, get(OTHER, OTHER)).stdout()).isEmpty();
        assertThat(decisions(id)).contains("dns " + OTHER + " denied").doesNotContain("dns " + OTHER + " allowed");
    }

    @Test
    void aRestartedBurrowdServesTheEgressOfTheMicroVmsItAdopts() throws Exception {
        String id = d.run("bb", "\"network\":{\"egress\":\"allowlist\",\"allow\":[\"" + ALLOWED + "\"]}");
        assertThat(sh(id, get(ALLOWED, ALLOWED)).stdout()).endsWith(TestHost.PAGE);
        d.restart();
        assertThat(d.call("GET", "/v1/microvms/" + id, null, 200).get("state").asText()).isEqualTo("RUNNING");
        ExecOutput after = sh(id, get(ALLOWED, ALLOWED));
        assertThat(after.stdout()).as(after.stderr()).endsWith(TestHost.PAGE);
        assertThat(sh(id, get(OTHER, OTHER)).stdout()).isEmpty();
        assertThat(decisions(id)).contains("http " + ALLOWED + " allowed", "dns " + OTHER + " denied");
    }

    @Test
    void internetReachesTheTestHostByNameAndByAddress() throws Exception {
        String id = d.run("bb", "\"network\":{\"egress\":\"internet\"}");
        ExecOutput byName = sh(id, get(ALLOWED, ALLOWED));
        assertThat(byName.stdout()).as("%s\n%s\n%s", byName.stderr(), decisions(id), diagnose(id)).endsWith(TestHost.PAGE);
        ExecOutput byAddress = sh(id, get(TestHost.ADDRESS, TestHost.ADDRESS));
        assertThat(byAddress.stdout()).as(byAddress.stderr()).endsWith(TestHost.PAGE);
        assertThat(decisions(id)).contains("dns " + ALLOWED + " allowed");
    }

    @Test
    void noModeReachesBurrowdsApiOrAListenerOnTheHost() throws Exception {
        for (String network : new String[] {"{\"egress\":\"none\"}", "{\"egress\":\"internet\"}",
                "{\"egress\":\"allowlist\",\"allow\":[\"" + ALLOWED + "\"]}"}) {
            String id = d.run("bb", "\"network\":" + network);
            List<String> targets = new ArrayList<>(List.of(TestHost.HOST_SIDE, "10.0.2.2"));
            d.daemon.engine().network(id).map(VethPath::hostAddress).ifPresent(targets::add);
            StringBuilder script = new StringBuilder();
            for (String target : targets) {
                for (int port : new int[] {d.port(), hostListener.getLocalPort()}) {
                    script.append("(nc -w 3 ").append(target).append(' ').append(port).append(" </dev/null && echo CONNECTED ")
                            .append(target).append(':').append(port).append(") & ");
                }
            }
            ExecOutput r = sh(id, script + "wait");
            assertThat(r.stdout()).as("%s: %s", network, r.stderr()).doesNotContain("CONNECTED");
            d.call("DELETE", "/v1/microvms/" + id, null, 202);
        }
    }

    @Test
    void theDecisionListPagesAndRefusesBadQueries() throws Exception {
        String id = d.run("bb", "\"network\":{\"egress\":\"internet\"}");
        sh(id, "nslookup " + ALLOWED + "; nslookup " + OTHER);
        JsonNode first = d.call("GET", "/v1/microvms/" + id + "/egress?limit=1", null, 200);
        assertThat(first.get("items")).hasSize(1);
        JsonNode rest = d.call("GET", "/v1/microvms/" + id + "/egress?cursor=" + first.get("nextCursor").asText(), null, 200);
        assertThat(rest.get("items").size()).isPositive();
        assertThat(rest.get("items").get(0).get("time").asText()).isGreaterThanOrEqualTo(first.get("items").get(0).get("time").asText());
        assertThat(d.send("GET", "/v1/microvms/vmnosuchmicrovm/egress", HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(404);
        assertThat(d.send("GET", "/v1/microvms/" + id + "/egress?limit=0", HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(400);
        assertThat(d.send("GET", "/v1/microvms/" + id + "/egress?cursor=bm9wZQ", HttpRequest.BodyPublishers.noBody()).statusCode())
                .isEqualTo(400);
    }

    @Test
    void aDockerfileRunFetchesFromTheAllowedNameThroughTheBuildsAllowlistAndFailsWithoutANetwork() throws Exception {
        String dockerfile = "FROM bb\nRUN " + get(ALLOWED, ALLOWED) + " > /page.txt && grep -q 'test host' /page.txt && cat /page.txt\n";

        JsonNode built = build("fetched", dockerfile, ",\"network\":{\"egress\":\"allowlist\",\"allow\":[\"" + ALLOWED + "\"]}");
        String log = buildLog("fetched");
        assertThat(built.get("state").asText()).as("%s\n%s", built, log).isEqualTo("READY");
        assertThat(log).contains("builder network: egress allowlist [" + ALLOWED + "]", TestHost.PAGE.strip(),
                "egress: dns " + ALLOWED + ":53 allowed", "egress: http " + ALLOWED + ":80 allowed");
        String id = d.run("fetched", "");
        assertThat(sh(id, "cat /page.txt").stdout()).endsWith(TestHost.PAGE);

        // the network is not in the step's cache key (as with Docker): without noCache the fetched layer would be reused
        JsonNode offline = build("offline", dockerfile, ",\"noCache\":true");
        assertThat(offline.get("state").asText()).as("%s\n%s", offline, buildLog("offline")).isEqualTo("FAILED");
        assertThat(offline.get("stateReason").asText()).contains("(Dockerfile line 2) RUN", "exit code", "bad address");
        assertThat(buildLog("offline")).doesNotContain("egress:", "builder network");
        // the cost of the path (PERFORMANCE.md): the networked builder's boot beside the offline one's
        for (String image : List.of("fetched", "offline")) {
            buildLog(image).lines().filter(l -> l.contains("builder microVM booted")).forEach(l -> System.out.println(image + ": " + l));
        }
    }

    /** Builds image {@code name} from a context holding only {@code dockerfile}, with the source's members {@code more}; returns the settled version. */
    private static JsonNode build(String name, String dockerfile, String more) throws Exception {
        Path tar = d.dataDir.resolve(name + "-context.tar");
        byte[] body = dockerfile.getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(tar); TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            TarArchiveEntry e = new TarArchiveEntry("Dockerfile");
            e.setSize(body.length);
            t.putArchiveEntry(e);
            t.write(body);
            t.closeArchiveEntry();
        }
        HttpResponse<String> up = d.send("POST", "/v1/uploads", HttpRequest.BodyPublishers.ofFile(tar));
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        d.call("POST", "/v1/images", "{\"name\":\"" + name + "\",\"source\":{\"type\":\"dockerfile\",\"uploadId\":\""
                + TestDaemon.JSON.readTree(up.body()).get("uploadId").asText() + "\"" + more
                + "},\"resources\":{\"memoryMiB\":256,\"diskMiB\":1024}}", 202);
        String path = "/v1/images/" + name + "/versions/1";
        long deadline = System.nanoTime() + TestDaemon.BUILD_DEADLINE.toNanos();
        JsonNode v = d.call("GET", path, null, 200);
        while (!v.get("state").asText().matches("READY|FAILED") && System.nanoTime() < deadline) {
            Thread.sleep(POLL.toMillis());
            v = d.call("GET", path, null, 200);
        }
        return v;
    }

    private static String buildLog(String name) throws Exception {
        return d.send("GET", "/v1/images/" + name + "/versions/1/logs", HttpRequest.BodyPublishers.noBody()).body();
    }

    @Test
    void aFaultyNetworkIsRefusedNamingEveryField() throws Exception {
        JsonNode problem = d.call("POST", "/v1/microvms", "{\"image\":\"bb\",\"network\":{\"egress\":\"allowlist\","
                + "\"allow\":[\"ok.test\",\"10.0.0.1\",\"Upper.test\"],\"extra\":1}}", 400);
        assertThat(StreamSupport.stream(problem.get("errors").spliterator(), false).map(e -> e.get("field").asText()).toList())
                .containsExactly("network.extra", "network.allow[1]", "network.allow[2]");
        d.call("POST", "/v1/microvms", "{\"image\":\"bb\",\"network\":{\"egress\":\"internet\",\"allow\":[\"a.test\"]}}", 400);
    }

    /**
     * An HTTP/1.0 GET of the test host's page sent with busybox nc to {@code target}:80 with
     * {@code host} as Host (busybox wget crashes in these images: a static glibc's resolver).
     */
    private static String get(String target, String host) {
        return "printf 'GET /index.html HTTP/1.0\\r\\nHost: " + host + "\\r\\n\\r\\n' | nc -w 10 " + target + " 80";
    }

    /** What the guest's network looks like (for a failure's message). */
    private static String diagnose(String id) throws Exception {
        ExecOutput r = sh(id, "cat /etc/resolv.conf; ip addr; ip route; nslookup " + ALLOWED + "; wget -T 5 -O - http://"
                + TestHost.ADDRESS + "/index.html");
        return r.stdout() + r.stderr();
    }

    private static List<String> decisions(String id) throws Exception {
        JsonNode page = d.call("GET", "/v1/microvms/" + id + "/egress?limit=500", null, 200);
        return StreamSupport.stream(page.get("items").spliterator(), false)
                .map(n -> n.get("protocol").asText() + " " + n.get("name").asText() + " " + n.get("decision").asText()).toList();
    }

    private static ExecOutput sh(String id, String script) throws Exception {
        var r = d.send("POST", "/v1/microvms/" + id + "/exec", HttpRequest.BodyPublishers.ofString(
                TestDaemon.JSON.writeValueAsString(Map.of("cmd", List.of("sh", "-c", script), "timeoutSeconds", 60))));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ExecOutput.parse(r.body());
    }
}
