package dev.burrow.daemon.images.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.images.BuildSettings;
import dev.burrow.daemon.images.ImageService;
import dev.burrow.daemon.images.ImageSourceSpec;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.InMemoryImageStore;
import dev.burrow.daemon.images.Resources;
import dev.burrow.daemon.images.VersionState;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.daemon.images.build.internal.EngineBuilderVm;
import dev.burrow.daemon.images.build.internal.FrontEndFiles;
import dev.burrow.daemon.microvms.lifecycle.Networking;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.ImageSource;
import dev.burrow.oci.dockerfile.ContextLimits;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.testing.EngineFixture;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Dockerfile builds against real QEMU: RUN in a builder microVM, the result a runnable version. */
class DockerfileBuildQemuTest {
    private static final Duration BUILD = Duration.ofMinutes(5);
    private static final Duration T = Duration.ofSeconds(30);
    private static final BuildSettings SMALL = BuildSettings.NONE.withResources(new Resources(1, 256, 1024));
    private static EngineFixture fx;
    private static ImageService images;
    private static Path work;

    @BeforeAll
    static void start() throws Exception {
        fx = EngineFixture.get();
        work = Files.createTempDirectory(fx.dataDir, "dockerfile-test");
        BlobStore blobs = new BlobStore(Files.createDirectories(work.resolve("blobs")));
        ImageSource busybox = ImageSource.open(BuiltinImages.busybox(work.resolve("busybox")), blobs);
        Descriptor base = busybox.storeAsManifest(blobs, busybox.resolve());
        DockerfileSource source = new DockerfileSource(new BuildCache(BuildCache.inMemory(), blobs), new FrontEndFiles(ContextLimits.DEFAULT),
                EngineBuilderVm.factory(fx.engine, Networking.NONE, null), null, ImageLookup.NONE, name -> Optional.ofNullable(name.equals("busybox") ? base : null),
                DockerfileSettings.DEFAULT.withRunTimeout(Duration.ofMinutes(2)));
        images = new ImageService("t1", new InMemoryImageStore(), fx.engine, work, work.resolve("tenant"), blobs, null, source, 1);
    }

    @AfterAll
    static void stop() {
        if (images != null) {
            images.close();
        }
    }

    private static Path context(String name, Map<String, String> files) throws Exception {
        Path tar = work.resolve(name + ".tar");
        try (OutputStream out = Files.newOutputStream(tar); TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                byte[] body = f.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setSize(body.length);
                e.setMode(f.getKey().endsWith(".sh") ? 0100755 : 0100644);
                t.putArchiveEntry(e);
                t.write(body);
                t.closeArchiveEntry();
            }
        }
        return tar;
    }

    private static ImageSourceSpec.Dockerfile dockerfile(Path context) {
        return new ImageSourceSpec.Dockerfile(context, Map.of(), null, false, null);
    }

    private static ImageVersion built(ImageVersion v) throws InterruptedException {
        ImageVersion done = images.await(v.image(), v.version(), BUILD);
        assertThat(done.state()).as(done.stateReason() + "; log " + done.buildLog()).isIn(VersionState.READY, VersionState.FAILED);
        return done;
    }

    private static ExecResult runIn(ImageVersion v, String... argv) throws Exception {
        try (MicroVm vm = fx.engine.restore(images.template(v), Identity::fresh)) {
            ExecRequest req = ExecRequest.of(argv).withEnv(v.settings().env()).withCwd(v.settings().workdir());
            if (v.settings().user() != null) {
                req = req.withUser(v.settings().user());
            }
            return vm.agent().run(req, T);
        }
    }

    private static final String TWO_STAGES = """
            FROM busybox AS build
            WORKDIR /src
            COPY app.sh .
            RUN echo "built with $(wc -l < app.sh) lines" > /src/out.txt && rm -rf /etc/motd /root
            FROM busybox
            ENV GREETING="hello from a Dockerfile"
            COPY --from=build /src/out.txt /srv/
            COPY --from=build /src/app.sh /usr/local/bin/app
            RUN mkdir -p /data && chown 1000:1000 /data
            USER 1000
            WORKDIR /data
            RUN id -u > uid.txt
            CMD ["sleep", "3600"]
            """;

    @Test
    void aTwoStageDockerfileBuildsARunnableVersionAndAnUnchangedRebuildRunsNothing() throws Exception {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("Dockerfile", TWO_STAGES);
        files.put("app.sh", "#!/bin/sh\necho \"$GREETING, I am $(id -u)\"\n");
        Path ctx = context("two-stages", files);

        long t0 = System.nanoTime();
        ImageVersion v1 = built(images.create("web", dockerfile(ctx), SMALL));
        long cold = (System.nanoTime() - t0) / 1_000_000;
        assertThat(v1.state()).as(v1.stateReason()).isEqualTo(VersionState.READY);
        String log1 = Files.readString(v1.buildLog());
        assertThat(log1).contains("step 4/13 (line 4) RUN echo").contains("stage 0 (build): image sha256:")
                .contains("13 steps, 0 cached, 7 run");
        assertThat(runIn(v1, "app").stdoutText()).isEqualTo("hello from a Dockerfile, I am 1000\n");
        assertThat(runIn(v1, "cat", "/srv/out.txt").stdoutText()).isEqualTo("built with 2 lines\n");
        assertThat(runIn(v1, "cat", "/data/uid.txt").stdoutText()).isEqualTo("1000\n");
        assertThat(runIn(v1, "pwd").stdoutText()).isEqualTo("/data\n");

        long t1 = System.nanoTime();
        ImageVersion v2 = built(images.addVersion("web", dockerfile(ctx), BuildSettings.NONE));
        long rebuild = (System.nanoTime() - t1) / 1_000_000;
        assertThat(v2.state()).as(v2.stateReason()).isEqualTo(VersionState.READY);
        String log2 = Files.readString(v2.buildLog());
        assertThat(log2).contains("13 steps, 7 cached, 0 run").doesNotContain("builder microVM booted");
        assertThat(log2).contains("template reused from web:1");
        assertThat(v2.templateDir()).isEqualTo(v1.templateDir());
        assertThat(v2.phasesMillis()).containsKeys("source", "reuse").doesNotContainKeys("mkfs", "boot", "snapshot");
        // issue 11: an unchanged rebuild finishes in under 5 % of the cold build's time (measured ~0.6 %)
        assertThat(rebuild).as("rebuild %d ms vs cold %d ms", rebuild, cold).isLessThan(cold / 20);

        images.deleteVersion("web", 1); // version 2 still uses the template (and the disk beside it): they stay
        assertThat(v1.templateDir().resolve("template.json")).exists();
        assertThat(runIn(images.version("web", 2).orElseThrow(), "app").stdoutText()).isEqualTo("hello from a Dockerfile, I am 1000\n");
        images.deleteVersion("web", 2); // the last user: the template and what is left of version 1 go
        assertThat(v1.templateDir()).doesNotExist();
        assertThat(v1.templateDir().getParent()).doesNotExist();
        System.out.println("dockerfile build web: cold " + cold + " ms (phases " + v1.phasesMillis() + "), unchanged rebuild "
                + rebuild + " ms (phases " + v2.phasesMillis() + ")");
    }

    @Test
    @Tag("hostile")
    void aRunCannotTouchTheHostAndAFailingRunNamesItsStepLineAndOutput() throws Exception {
        String marker = "/burrow-host-check-" + UUID.randomUUID();
        Path ctx = context("hostile", Map.of("Dockerfile", "FROM busybox\n"
                + "RUN touch " + marker + " && rm -rf /usr /home /tmp/* && echo wrote " + marker + "\n"
                + "RUN echo about to fail; ls /usr; exit 3\n"));
        ImageVersion v = built(images.create("hostile", dockerfile(ctx), SMALL));
        assertThat(v.state()).isEqualTo(VersionState.FAILED);
        assertThat(v.stateReason()).startsWith("step 3/3 (Dockerfile line 3) RUN echo about to fail; ls /usr; exit 3: exit code 3\n")
                .contains("about to fail").contains("No such file or directory");
        assertThat(Files.readString(v.buildLog())).contains("  | wrote " + marker);
        assertThat(Path.of(marker)).doesNotExist();
        assertThat(Path.of("/usr/bin")).isDirectory();
    }

    @Test
    void aSyntaxErrorFailsNamingTheLine() throws Exception {
        Path ctx = context("syntax", Map.of("Dockerfile", "FROM busybox\nRUN true\nCOPY\n"));
        ImageVersion v = built(images.create("syntax", dockerfile(ctx), SMALL));
        assertThat(v.state()).isEqualTo(VersionState.FAILED);
        assertThat(v.stateReason()).startsWith("Dockerfile line 3: ");
    }
}
