package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real picocli commands against a fake burrowd that speaks docs/API.md. */
class CliTest {
    private static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path tmp;

    FakeBurrowd fake;
    CliHarness cli;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeBurrowd();
        cli = new CliHarness(tmp).against(fake);
    }

    @AfterEach
    void stop() {
        fake.close();
        // every JSON request the CLI sent is one the OpenAPI document accepts
        org.assertj.core.api.Assertions.assertThat(fake.contractViolations).isEmpty();
    }

    private Path archive(String name, int size) throws Exception {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) data[i] = (byte) (i * 31);
        Path file = tmp.resolve(name);
        Files.write(file, data);
        return file;
    }

    @Test
    void forkSendsTheCountAndPrintsOneIdPerFork() throws Exception {
        fake.addMicroVm("vm01src1");
        var r = cli.run("fork", "vm01src", "-n", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).hasSize(3).allMatch(l -> l.startsWith("vm01fork"));
        assertThat(new String(fake.requests("POST", "/v1/microvms/vm01src1/fork").getFirst().body())).isEqualTo("{\"count\":3}");
        assertThat(cli.run("fork", "vm01src1", "-n", "65").err()).contains("between 1 and 64");
    }

    @Test
    void suspendAndResumeCallTheLifecycleEndpointsWithoutABodyAndPrintTheNewState() throws Exception {
        fake.addMicroVm("vm01life1");
        var r = cli.run("suspend", "vm01li");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("vm01life1 SUSPENDED\n");
        r = cli.run("resume", "vm01life1");
        assertThat(r.out()).isEqualTo("vm01life1 RUNNING\n");
        assertThat(fake.requests).anyMatch(q -> q.method().equals("POST") && q.path().equals("/v1/microvms/vm01life1/suspend") && q.body().length == 0);
    }

    @Test
    void imageCreateUploadsThenCreatesAndWaitsForTheBuild() throws Exception {
        Path file = archive("app.tar", 300_000);
        var r = cli.run("image", "create", "app", "--from", "oci-archive:" + file, "--memory", "1G", "--vcpus", "2", "--port", "9090");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().trim()).isEqualTo("app:1");

        assertThat(fake.uploads).hasSize(1);
        assertThat(fake.uploads.values().iterator().next()).isEqualTo(Files.readAllBytes(file));
        List<FakeBurrowd.Request> creates = fake.requests("POST", "/v1/images");
        assertThat(creates).hasSize(1);
        JsonNode body = creates.getFirst().json();
        assertThat(body.path("name").asText()).isEqualTo("app");
        assertThat(body.path("source").path("type").asText()).isEqualTo("upload");
        assertThat(body.path("source").path("format").asText()).isEqualTo("oci-archive");
        assertThat(body.path("source").path("uploadId").asText()).isEqualTo(fake.uploads.keySet().iterator().next());
        assertThat(body.path("resources").path("memoryMiB").asInt()).isEqualTo(1024);
        assertThat(body.path("resources").path("vcpus").asInt()).isEqualTo(2);
        assertThat(body.path("resources").has("diskMiB")).isFalse();
        assertThat(body.path("ingressPort").asInt()).isEqualTo(9090);
        // the upload came before the create, and the version was polled to READY
        int uploadAt = fake.requests.indexOf(fake.requests("POST", "/v1/uploads").getFirst());
        assertThat(uploadAt).isLessThan(fake.requests.indexOf(creates.getFirst()));
        assertThat(fake.images.get("app").getFirst().path("state").asText()).isEqualTo("READY");
    }

    @Test
    void imageCreateOnAnExistingNameAddsAVersion() throws Exception {
        Path file = archive("app.tar", 1000);
        assertThat(cli.run("image", "create", "app", "--from", "docker-archive:" + file).code()).isZero();
        var r = cli.run("image", "create", "app", "--from", "docker-archive:" + file, "--disk", "4G");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().trim()).isEqualTo("app:2");
        List<FakeBurrowd.Request> added = fake.requests("POST", "/v1/images/app/versions");
        assertThat(added).hasSize(1);
        JsonNode body = added.getFirst().json();
        assertThat(body.has("name")).isFalse();
        assertThat(body.path("source").path("format").asText()).isEqualTo("docker-archive");
        assertThat(body.path("resources").path("diskMiB").asInt()).isEqualTo(4096);
    }

    @Test
    void imageCreateDetachDoesNotWait() throws Exception {
        Path file = archive("app.tar", 10);
        var r = cli.run("image", "create", "app", "--from", "oci-archive:" + file, "--detach");
        assertThat(r.code()).isZero();
        assertThat(r.out().trim()).isEqualTo("app:1");
        assertThat(fake.requests("GET", "/v1/images/app/versions/")).isEmpty();
    }

    @Test
    void aTerminalGetsProgressLines() throws Exception {
        cli.stderrTty = true;
        Path file = archive("app.tar", 5000);
        var r = cli.run("image", "create", "app", "--from", "oci-archive:" + file);
        assertThat(r.code()).isZero();
        assertThat(r.err()).contains("\ruploading app.tar").contains("(100%)").contains("building app:1  READY");
        assertThat(r.out().trim()).isEqualTo("app:1");
    }

    @Test
    void imageListingsAndLogs() throws Exception {
        Path file = archive("app.tar", 10);
        cli.run("image", "create", "app", "--from", "oci-archive:" + file);
        cli.run("image", "create", "app", "--from", "oci-archive:" + file);
        var r = cli.run("image", "ls");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().split("\n")[1]).startsWith("app").contains(" 2 ").contains("READY");
        r = cli.run("image", "versions", "app");
        assertThat(r.out().split("\n")).hasSize(3);
        r = cli.run("image", "logs", "app");
        assertThat(r.out()).isEqualTo("build log of app:2\nunpack ok\n");
        r = cli.run("image", "logs", "app:1");
        assertThat(r.out()).startsWith("build log of app:1");
        r = cli.run("image", "inspect", "app:1");
        assertThat(M.readTree(r.out()).path("state").asText()).isEqualTo("READY");
        r = cli.run("image", "rm", "app", "--force");
        assertThat(r.code()).isZero();
        assertThat(fake.requests("DELETE", "/v1/images/app").getFirst().query()).isEqualTo("force=true");
        r = cli.run("image", "inspect", "app");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err().trim()).isEqualTo("burrow: image app not found");
    }

    @Test
    void aFailedBuildExits125WithTheReason() throws Exception {
        fake.failBuildsWith = "only linux/amd64 images boot today; this one is linux/arm64";
        Path file = archive("app.tar", 10);
        var r = cli.run("image", "create", "app", "--from", "oci-archive:" + file);
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("burrow: ").contains("FAILED").contains("linux/arm64");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void anOciLayoutDirectoryIsUploadedAsATar() throws Exception {
        Path layout = tmp.resolve("layout");
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[]}");
        String longName = "a".repeat(64) + "b".repeat(60);
        Files.write(blobs.resolve(longName), new byte[70_000]);
        var r = cli.run("image", "create", "app", "--from", "oci-layout:" + layout);
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode body = fake.requests("POST", "/v1/images").getFirst().json();
        assertThat(body.path("source").path("format").asText()).isEqualTo("oci-layout-tar");

        byte[] tar = fake.uploads.values().iterator().next();
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                names.add(e.getName());
                if (e.getName().equals("index.json")) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("schemaVersion");
                }
                if (e.getName().endsWith(longName)) assertThat(e.getSize()).isEqualTo(70_000);
            }
        }
        assertThat(names).containsExactly("blobs/", "blobs/sha256/", "blobs/sha256/" + longName, "index.json", "oci-layout");
    }

    @Test
    void badSourcesAreClearErrors() {
        var r = cli.run("image", "create", "app", "--from", "tarball:/x");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("unknown source").contains("oci-archive:FILE");
        r = cli.run("image", "create", "app", "--from", "oci-archive:/does/not/exist");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("no such file");
        assertThat(fake.requests).isEmpty();
    }

    @Test
    void badSizesAreClearErrors() throws Exception {
        Path file = archive("app.tar", 10);
        var r = cli.run("image", "create", "app", "--from", "oci-archive:" + file, "--memory", "lots");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("--memory").contains("invalid size 'lots'");
    }

    @Test
    void execPrintsBothStreamsAndExitsWithTheCommandsCode() {
        fake.addMicroVm("vm01abc");
        var r = cli.run("exec", "vm01abc", "--", "sh", "-c", "exit 3");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("to stdout\n");
        assertThat(r.err()).isEqualTo("to stderr\n");
        JsonNode body = fake.requests("POST", "/v1/microvms/vm01abc/exec").getFirst().json();
        assertThat(body.path("cmd").toString()).isEqualTo("[\"sh\",\"-c\",\"exit 3\"]");
        assertThat(body.path("stdinMode").asText()).isEqualTo("none");
    }

    @Test
    void execStreamsStdinWhenItIsNotATerminal() {
        fake.addMicroVm("vm01abc");
        cli.stdinTty = false;
        byte[] input = new byte[200_000];
        for (int i = 0; i < input.length; i++) input[i] = (byte) i;
        cli.stdin = input;
        var r = cli.run("exec", "vm01", "--", "cat");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.outBytes()).isEqualTo(input);
        assertThat(fake.requests("POST", "/v1/microvms/vm01abc/exec").getFirst().json().path("stdinMode").asText())
                .isEqualTo("stream");
        assertThat(fake.requests("POST", "/v1/microvms/vm01abc/execs/")).hasSize(1);
    }

    @Test
    void execPassesThrough127AndSignals() {
        fake.addMicroVm("vm01abc");
        var r = cli.run("exec", "vm01abc", "--", "nosuchcmd");
        assertThat(r.code()).isEqualTo(127);
        assertThat(r.err()).contains("not found");
        r = cli.run("exec", "--timeout", "5s", "vm01abc", "--", "sleep", "100");
        assertThat(r.code()).isEqualTo(137);
        assertThat(r.err()).contains("timed out");
        assertThat(fake.requests("POST", "/v1/microvms/vm01abc/exec").getLast().json().path("timeoutSeconds").asInt()).isEqualTo(5);
    }

    @Test
    void everythingAfterTheIdIsTheCommand() {
        fake.addMicroVm("vm01abc");
        var r = cli.run("exec", "vm01abc", "sh", "-c", "exit 4");
        assertThat(r.code()).isEqualTo(4);
        r = cli.run("exec", "-e", "A=1", "vm01abc", "--", "sh", "-e", "--json");
        assertThat(r.code()).isZero();
        JsonNode body = fake.requests("POST", "/v1/microvms/vm01abc/exec").getLast().json();
        assertThat(body.path("cmd").toString()).isEqualTo("[\"sh\",\"-e\",\"--json\"]");
        assertThat(body.path("env").path("A").asText()).isEqualTo("1");
    }

    @Test
    void execJsonPrintsTheNdjsonLines() throws Exception {
        fake.addMicroVm("vm01abc");
        var r = cli.run("exec", "--json", "vm01abc", "--", "sh", "-c", "exit 0");
        assertThat(r.code()).isZero();
        String[] lines = r.out().split("\n");
        assertThat(lines).hasSize(4);
        assertThat(M.readTree(lines[0]).path("started").path("execId").asText()).startsWith("ex");
        assertThat(M.readTree(lines[3]).path("exit").asInt()).isZero();
        assertThat(r.err()).isEmpty();
    }

    @Test
    void runPrintsTheId() throws Exception {
        var r = cli.run("run", "demo:1", "--label", "team=a", "--env", "K=V", "--idle", "5m", "--egress", "allowlist:a.com,b.org");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().trim()).matches("vm01new\\d+");
        JsonNode body = fake.requests("POST", "/v1/microvms").getFirst().json();
        assertThat(body.path("image").asText()).isEqualTo("demo");
        assertThat(body.path("version").asInt()).isEqualTo(1);
        assertThat(body.path("labels").path("team").asText()).isEqualTo("a");
        assertThat(body.path("env").path("K").asText()).isEqualTo("V");
        assertThat(body.path("idlePolicy").path("maxIdleSeconds").asInt()).isEqualTo(300);
        assertThat(body.path("network").path("egress").asText()).isEqualTo("allowlist");
        assertThat(body.path("network").path("allow").toString()).isEqualTo("[\"a.com\",\"b.org\"]");

        r = cli.run("run", "demo", "--auto-resume");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("give --idle too");

        r = cli.run("run", "demo", "--json");
        assertThat(M.readTree(r.out()).path("state").asText()).isEqualTo("RUNNING");
        assertThat(fake.requests("POST", "/v1/microvms").getLast().json().has("version")).isFalse();
    }

    @Test
    void idPrefixesResolveWhenUnique() {
        fake.addMicroVm("vm01aaa");
        fake.addMicroVm("vm01abb");
        fake.addMicroVm("vm02ccc"); // third item: on the second page
        var r = cli.run("inspect", "vm02");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"id\" : \"vm02ccc\"");
        r = cli.run("rm", "vm01aa");
        assertThat(r.code()).isZero();
        assertThat(r.out().trim()).isEqualTo("vm01aaa");
        assertThat(fake.requests("DELETE", "/v1/microvms/vm01aaa")).hasSize(1);
    }

    @Test
    void anAmbiguousPrefixNamesTheCandidates() {
        fake.addMicroVm("vm01aaa");
        fake.addMicroVm("vm01abb");
        var r = cli.run("rm", "vm01a");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("ambiguous").contains("vm01aaa").contains("vm01abb");
        assertThat(fake.requests("DELETE", "/")).isEmpty();
    }

    @Test
    void anUnknownPrefixIsAnError() {
        fake.addMicroVm("vm01aaa");
        var r = cli.run("exec", "zz", "--", "true");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("no microVM matches 'zz'");
    }

    @Test
    void problemsExit125WithTheirDetail() {
        var r = cli.run("run", "nope");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err().trim()).isEqualTo("burrow: image nope not found");
        cli.env.put("BURROW_API_KEY", "wrong");
        r = cli.run("ps");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("burrow: missing or invalid API key");
    }

    @Test
    void anUnreachableDaemonExits125WithAHint() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        cli.env.put("BURROW_URL", "http://127.0.0.1:" + port);
        var r = cli.run("ps");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err().trim()).isEqualTo("burrow: cannot reach burrowd at http://127.0.0.1:" + port
                + ": is it running? try ./burrow up");
    }

    @Test
    void psPrintsATableOrJson() throws Exception {
        fake.addMicroVm("vm01aaa").putObject("labels").put("team", "a");
        fake.addMicroVm("vm01bbb");
        fake.addMicroVm("vm01ccc");
        var r = cli.run("ps");
        assertThat(r.code()).isZero();
        String[] lines = r.out().split("\n");
        assertThat(lines[0]).startsWith("ID").contains("IMAGE").contains("STATE");
        assertThat(lines).hasSize(4);
        assertThat(lines[1]).contains("vm01aaa").contains("demo:1").contains("RUNNING").contains("team=a");
        r = cli.run("ps", "--json");
        JsonNode arr = M.readTree(r.out());
        assertThat(arr.isArray()).isTrue();
        assertThat(arr).hasSize(3);
    }

    @Test
    void usageErrorsExit125() {
        var r = cli.run("exec", "vm01");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("burrow:");
        r = cli.run("frobnicate");
        assertThat(r.code()).isEqualTo(125);
    }

    @Test
    void configJsonShowsTheEffectiveSettings() throws Exception {
        var r = cli.run("config", "--json");
        assertThat(r.code()).isZero();
        JsonNode c = M.readTree(r.out());
        assertThat(c.path("url").asText()).isEqualTo(fake.url());
        assertThat(c.path("apiKey").asText()).isEqualTo(FakeBurrowd.KEY);
    }

    @Test
    void versionReportsClientAndServer() {
        var r = cli.run("version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("client: burrow ").contains("burrowd 0.1.0 (agent protocol 1, qemu 7.2.22, TCG");
    }
}
