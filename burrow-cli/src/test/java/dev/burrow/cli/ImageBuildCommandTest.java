package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code burrow image build} against the fake burrowd: what it uploads, what it asks for, how it ends. */
class ImageBuildCommandTest {
    @TempDir
    Path tmp;

    FakeBurrowd fake;
    CliHarness cli;
    Path context;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeBurrowd();
        cli = new CliHarness(tmp.resolve("home")).against(fake);
        context = Files.createDirectories(tmp.resolve("app"));
        write("Dockerfile", "FROM python\nCOPY . /app\nCMD [\"python3\", \"/app/app.py\"]\n");
        write("app.py", "print('hi')\n");
    }

    @AfterEach
    void stop() {
        fake.close();
        assertThat(fake.contractViolations).isEmpty();
    }

    private void write(String rel, String text) throws Exception {
        Path p = context.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    /** The one upload as name → content (directories "dir/", symlinks "-> target"). */
    private Map<String, String> uploaded() throws Exception {
        assertThat(fake.uploads).hasSize(1);
        Map<String, String> out = new LinkedHashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(fake.uploads.values().iterator().next()))) {
            for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                out.put(e.getName(), e.isDirectory() ? "dir" : e.isSymbolicLink() ? "-> " + e.getLinkName()
                        : new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private JsonNode onlyCreate() {
        List<FakeBurrowd.Request> creates = fake.requests("POST", "/v1/images");
        assertThat(creates).hasSize(1);
        return creates.getFirst().json();
    }

    @Test
    void theContextGoesUpWithoutWhatDockerignoreExcludesThenADockerfileBuildIsAskedForAndItsLogPrinted() throws Exception {
        write(".dockerignore", "*.log\nnode_modules\n.git\n!keep.log\n");
        write("debug.log", "noise");
        write("keep.log", "kept");
        write("node_modules/left/behind.js", "x");
        write(".git/HEAD", "ref");
        write("static/index.html", "<h1>hi</h1>");
        Files.createSymbolicLink(context.resolve("link"), Path.of("/etc/passwd"));

        var r = cli.run("image", "build", context.toString(), "--name", "web", "--build-arg", "A=1", "--build-arg", "B=x=y",
                "--target", "app", "--no-cache", "--egress", "allowlist:pypi.org", "--memory", "1G", "--port", "8080");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("web:1\n");
        assertThat(r.err()).contains("build log of web:1").contains("build READY");

        Map<String, String> files = uploaded();
        assertThat(files.keySet()).containsExactly(".dockerignore", "Dockerfile", "app.py", "keep.log", "link", "static/",
                "static/index.html");
        assertThat(files).containsEntry("link", "-> /etc/passwd").containsEntry("keep.log", "kept");

        JsonNode body = onlyCreate();
        assertThat(body.path("name").asText()).isEqualTo("web");
        JsonNode source = body.path("source");
        assertThat(source.path("type").asText()).isEqualTo("dockerfile");
        assertThat(source.path("uploadId").asText()).isEqualTo(fake.uploads.keySet().iterator().next());
        assertThat(source.path("buildArgs").properties()).hasSize(2);
        assertThat(source.path("buildArgs").path("A").asText()).isEqualTo("1");
        assertThat(source.path("buildArgs").path("B").asText()).isEqualTo("x=y");
        assertThat(source.path("target").asText()).isEqualTo("app");
        assertThat(source.path("noCache").asBoolean()).isTrue();
        assertThat(source.path("network").path("egress").asText()).isEqualTo("allowlist");
        assertThat(source.path("network").path("allow").get(0).asText()).isEqualTo("pypi.org");
        assertThat(body.path("resources").path("memoryMiB").asInt()).isEqualTo(1024);
        assertThat(body.path("ingressPort").asInt()).isEqualTo(8080);
        // the log was followed, not polled
        assertThat(fake.requests("GET", "/v1/images/web/versions/1/logs")).singleElement()
                .satisfies(q -> assertThat(q.query()).isEqualTo("follow=true"));
    }

    @Test
    void withoutOptionsTheSourceHoldsOnlyTheUpload() throws Exception {
        var r = cli.run("image", "build", context.toString(), "--name", "web");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode source = onlyCreate().path("source");
        assertThat(source.properties()).extracting(Map.Entry::getKey).containsExactlyInAnyOrder("type", "uploadId");
        assertThat(uploaded().keySet()).containsExactly("Dockerfile", "app.py");
    }

    @Test
    void anExistingNameGetsANewVersion() {
        assertThat(cli.run("image", "build", context.toString(), "--name", "web").code()).isZero();
        var r = cli.run("image", "build", context.toString(), "--name", "web", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"version\" : 2").contains("\"state\" : \"READY\"");
        List<FakeBurrowd.Request> added = fake.requests("POST", "/v1/images/web/versions");
        assertThat(added).singleElement().satisfies(q -> {
            assertThat(q.json().has("name")).isFalse();
            assertThat(q.json().path("source").path("type").asText()).isEqualTo("dockerfile");
        });
    }

    @Test
    void aFailedBuildPrintsItsLogThenExits125WithTheReason() {
        fake.failBuildsWith = "Dockerfile line 2: COPY failed: no source files were specified";
        var r = cli.run("image", "build", context.toString(), "--name", "web");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("build log of web:1").contains("build FAILED")
                .contains("burrow: build of web:1 FAILED: Dockerfile line 2").contains("burrow image logs web:1");
    }

    @Test
    void detachPrintsTheVersionWithoutFollowingTheBuild() {
        var r = cli.run("image", "build", context.toString(), "--name", "web", "--detach");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("web:1\n");
        assertThat(fake.requests("GET", "/v1/images/web/versions/1")).isEmpty();
    }

    @Test
    void fileNamesAnotherDockerfileWhichTravelsAsTheRootDockerfile() throws Exception {
        write("docker/prod.Dockerfile", "FROM node\n");
        var r = cli.run("image", "build", context.toString(), "--name", "web", "--file", "docker/prod.Dockerfile");
        assertThat(r.code()).as(r.err()).isZero();
        Map<String, String> files = uploaded();
        assertThat(files).containsEntry("Dockerfile", "FROM node\n").containsEntry("docker/prod.Dockerfile", "FROM node\n");
        assertThat(files.keySet().stream().filter(n -> n.equals("Dockerfile"))).hasSize(1);
    }

    @Test
    void theDockerfileAndDockerignoreGoUpEvenWhenTheyExcludeThemselves() throws Exception {
        write(".dockerignore", "Dockerfile\n.dockerignore\n*.py\n");
        var r = cli.run("image", "build", context.toString(), "--name", "web");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(uploaded().keySet()).containsExactly(".dockerignore", "Dockerfile");
    }

    @Test
    void aTarOnStdinIsUploadedAsItIs() throws Exception {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            byte[] df = "FROM minimal\n".getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry("Dockerfile");
            e.setSize(df.length);
            out.putArchiveEntry(e);
            out.write(df);
            out.closeArchiveEntry();
        }
        cli.stdin = tar.toByteArray();
        cli.stdinTty = false;
        var r = cli.run("image", "build", "-", "--name", "web");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(fake.uploads.values().iterator().next()).isEqualTo(tar.toByteArray());
        assertThat(onlyCreate().path("source").path("type").asText()).isEqualTo("dockerfile");
    }

    @Test
    void mistakesAreNamedBeforeAnythingIsUploaded() throws Exception {
        assertThat(cli.run("image", "build", tmp.resolve("nowhere").toString(), "--name", "web").err()).contains("is not a directory");
        assertThat(cli.run("image", "build", context.toString(), "--name", "web", "--file", "Missing").err())
                .contains("no Dockerfile at").contains("--file Missing");
        assertThat(cli.run("image", "build", context.toString(), "--name", "web", "--build-arg", "NOVALUE").err())
                .contains("--build-arg expects KEY=VALUE");
        assertThat(cli.run("image", "build", context.toString(), "--name", "web", "--egress", "everything").err())
                .contains("--egress");
        assertThat(cli.run("image", "build", "-", "--name", "web", "--file", "other").err()).contains("--file");
        Files.writeString(context.resolve("Dockerfile"), "#".repeat((1 << 20) + 1));
        assertThat(cli.run("image", "build", context.toString(), "--name", "web").err()).contains("the largest Dockerfile");
        assertThat(cli.run("image", "build", context.toString()).code()).isNotZero(); // --name is required
        assertThat(fake.uploads).isEmpty();
        assertThat(fake.requests("POST", "/v1/images")).isEmpty();
    }
}
