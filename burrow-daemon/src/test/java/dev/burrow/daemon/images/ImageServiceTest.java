package dev.burrow.daemon.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.oci.TarEntrySpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.testing.EngineFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The image service against real QEMU: images in every supported format become runnable templates. */
class ImageServiceTest {

    private static final Duration BUILD = Duration.ofMinutes(3);
    private static final Duration T = Duration.ofSeconds(30);
    private static EngineFixture fx;
    private static ImageService images;
    private static Path work;
    private static final List<ImageEvent> events = new CopyOnWriteArrayList<>();
    private static final BuildSettings SMALL = BuildSettings.NONE.withResources(new Resources(1, 256, 1024));

    @BeforeAll
    static void start() throws Exception {
        fx = EngineFixture.get();
        work = Files.createTempDirectory(fx.dataDir, "images-test");
        images = new ImageService(new InMemoryImageStore(), fx.engine, work, 1);
        images.onEvent(events::add);
    }

    @AfterAll
    static void stop() {
        images.close();
    }

    private static ImageVersion built(ImageVersion v) throws InterruptedException {
        ImageVersion done = images.await(v.image(), v.version(), BUILD);
        assertThat(done.state()).as(done.stateReason() + "; log " + done.buildLog()).isIn(VersionState.READY, VersionState.FAILED);
        return done;
    }

    /** Runs a command in a fresh microVM of the version with the version's environment, as an exec through the API will. */
    private static ExecResult runIn(ImageVersion v, String... argv) throws Exception {
        try (MicroVm vm = fx.engine.restore(images.template(v), Identity::fresh)) {
            return vm.agent().run(ExecRequest.of(argv).withEnv(v.settings().env()), T);
        }
    }

    @Test
    void anImageFromEachFormatBuildsAndRunsACommand() throws Exception {
        ImageConfig cfg = ImageConfig.builder().env("GREETING", "hello from the image").build();
        Path layout = Fixtures.layout(work.resolve("fmt-layout"), cfg, List.of(Fixtures.busybox()));
        Path archive = work.resolve("fmt.oci.tar");
        OciLayoutWriter.toArchive(layout, archive);
        Path docker = work.resolve("fmt.docker.tar");
        new OciLayoutWriter(cfg).addLayer(Fixtures.busybox()).writeDockerArchive(docker, "fmt:latest");

        ImageVersion a = images.create("fmt-layout", new ImageSourceSpec.HostPath(layout, null), SMALL);
        ImageVersion b = images.create("fmt-oci-archive", new ImageSourceSpec.HostPath(archive, null), SMALL);
        ImageVersion c = images.create("fmt-docker-archive", new ImageSourceSpec.HostPath(docker, null), SMALL);
        assertThat(a.state()).isEqualTo(VersionState.PENDING);
        for (ImageVersion v : List.of(a, b, c)) {
            ImageVersion done = built(v);
            assertThat(done.state()).as(done.stateReason()).isEqualTo(VersionState.READY);
            assertThat(done.phasesMillis()).containsKeys("unpack", "mkfs", "boot", "snapshot");
            ExecResult r = runIn(done, "sh", "-c", "echo $GREETING from $(hostname)");
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdoutText()).startsWith("hello from the image from vm");
        }
        assertThat(Files.readString(a.buildLog())).contains("build started").contains("READY");
        assertThat(events).anyMatch(e -> e.ref().equals("fmt-layout:1") && "READY".equals(e.to()));
    }

    @Test
    void theDebianDemoImageBuildsBootsAndRunsPython() throws Exception {
        // a real Debian root: absolute symlinks (/var/run -> /run), setuid binaries, python3
        Path layout = dev.burrow.daemon.images.builtin.BuiltinImages.debianPython(
                dev.burrow.vmm.kernel.KernelCache.cacheDirFromEnvironment().resolve("images"), work);
        ImageVersion v = built(images.create("demo", new ImageSourceSpec.HostPath(layout, null), BuildSettings.NONE));
        assertThat(v.state()).as(v.stateReason()).isEqualTo(VersionState.READY);
        System.out.println("demo image build phases (ms): " + v.phasesMillis());
        assertThat(v.entrypoint().state()).isEqualTo(EntrypointStatus.State.RUNNING); // python3 -m http.server
        ExecResult r = runIn(v, "python3", "-c", "print(6*7)");
        assertThat(r.stdoutText()).isEqualTo("42\n");
        assertThat(runIn(v, "readlink", "/var/run").stdoutText().strip()).isEqualTo("/run");
        // without a ready hook the snapshot does not wait for the server to listen: retry in the guest
        String fetch = "import time,urllib.request\n"
                + "for i in range(600):\n"
                + "    try:\n        print(urllib.request.urlopen('http://127.0.0.1:8080/').status); break\n"
                + "    except OSError: time.sleep(0.1)\n";
        assertThat(runIn(v, "python3", "-c", fetch).stdoutText()).isEqualTo("200\n");
    }

    @Test
    void anEntrypointThatExitsAtOnceDoesNotFailTheBuildAndIsRecorded() throws Exception {
        // sh with no TTY reads EOF from /dev/null and exits 0 at once
        Path layout = Fixtures.layout(work.resolve("quick-exit"), ImageConfig.builder().cmd("/bin/sh").build(), List.of(Fixtures.busybox()));
        ImageVersion v = built(images.create("quick-exit", new ImageSourceSpec.HostPath(layout, null), SMALL));
        assertThat(v.state()).as(v.stateReason()).isEqualTo(VersionState.READY);
        assertThat(v.entrypoint().state()).isEqualTo(EntrypointStatus.State.EXITED);
        assertThat(v.entrypoint().exitCode()).isZero();
        assertThat(events).anyMatch(e -> e.ref().equals("quick-exit:1") && e.kind().equals("entrypoint-exited"));
    }

    @Test
    void theReadyHookGatesTheSnapshotAndTheValidateHookRunsOnARestoredMicroVm() throws Exception {
        ImageConfig cfg = ImageConfig.builder().entrypoint("nc", "-ll", "-p", "9000", "-e", "/hook.sh").build();
        Path layout = Fixtures.layout(work.resolve("hooks-ok"), cfg, List.of(Fixtures.busybox(), Fixtures.hookServer("200 OK", "fine")));
        Hooks hooks = Hooks.NONE.withReady(Hooks.enabled("ready", 60)).withValidate(Hooks.enabled("validate", 60));
        ImageVersion v = built(images.create("hooks-ok", new ImageSourceSpec.HostPath(layout, null), SMALL.withHooks(hooks)));
        assertThat(v.state()).as(v.stateReason()).isEqualTo(VersionState.READY);
        assertThat(v.entrypoint().state()).isEqualTo(EntrypointStatus.State.RUNNING);
        // the template remembers the ready call; the validate call happened in a restored copy, not in the template
        assertThat(runIn(v, "cat", "/tmp/hook-calls").stdoutText()).isEqualTo("POST /burrow/v1/ready\n");
        assertThat(Files.readString(v.buildLog())).contains("ready hook answered 200").contains("validate hook answered 200");
    }

    @Test
    void aFailingReadyHookFailsTheBuildWithItsStatusAndBody() throws Exception {
        ImageConfig cfg = ImageConfig.builder().entrypoint("nc", "-ll", "-p", "9000", "-e", "/hook.sh").build();
        Path layout = Fixtures.layout(work.resolve("hooks-bad"), cfg, List.of(Fixtures.busybox(), Fixtures.hookServer("500 Broken", "database missing")));
        Hooks hooks = Hooks.NONE.withReady(Hooks.enabled("ready", 30));
        ImageVersion v = built(images.create("hooks-bad", new ImageSourceSpec.HostPath(layout, null), SMALL.withHooks(hooks)));
        assertThat(v.state()).isEqualTo(VersionState.FAILED);
        assertThat(v.stateReason()).contains("ready hook failed").contains("HTTP 500").contains("database missing");
    }

    @Test
    void aReadyHookNobodyListensOnTimesOut() throws Exception {
        Path layout = Fixtures.layout(work.resolve("hooks-none"), ImageConfig.EMPTY, List.of(Fixtures.busybox()));
        Hooks hooks = Hooks.NONE.withReady(Hooks.enabled("ready", 2));
        ImageVersion v = built(images.create("hooks-none", new ImageSourceSpec.HostPath(layout, null), SMALL.withHooks(hooks)));
        assertThat(v.state()).isEqualTo(VersionState.FAILED);
        assertThat(v.stateReason()).contains("ready hook failed").contains("timed out after 2 s").contains("refused");
    }

    @Test
    void hostileLayersEndFailedWithTheReasonAndWriteNothingOutside() throws Exception {
        Path canary = Files.createDirectories(work.resolve("canary"));
        Path layout = Fixtures.layout(work.resolve("evil"), ImageConfig.EMPTY, List.of(Fixtures.busybox(),
                List.of(TarEntrySpec.symlink("escape", "../../../../../../.."), TarEntrySpec.file("escape/" + canary + "/pwned", "x"),
                        TarEntrySpec.file("../evil", "x"))));
        ImageVersion v = built(images.create("evil", new ImageSourceSpec.HostPath(layout, null), SMALL));
        assertThat(v.state()).isEqualTo(VersionState.FAILED);
        assertThat(v.stateReason()).contains("'../evil' escapes the image root");
        try (var s = Files.list(canary)) {
            assertThat(s).isEmpty();
        }
        assertThat(work.resolve("evil-outside")).doesNotExist();
    }

    @Test
    void aNewVersionInheritsTheSettingsOfThePreviousOne() throws Exception {
        Path layout = Fixtures.layout(work.resolve("inherit"), ImageConfig.EMPTY, List.of(Fixtures.busybox()));
        ImageVersion v1 = images.create("inherit", new ImageSourceSpec.HostPath(layout, null),
                SMALL.withCmd(List.of("sleep", "1000")));
        ImageVersion v2 = images.addVersion("inherit", new ImageSourceSpec.HostPath(layout, null), BuildSettings.NONE);
        assertThat(v2.version()).isEqualTo(2);
        assertThat(v2.settings().resources()).isEqualTo(new Resources(1, 256, 1024));
        assertThat(v2.settings().cmd()).containsExactly("sleep", "1000");
        assertThat(built(v1).state()).isEqualTo(VersionState.READY);
        assertThat(built(v2).state()).isEqualTo(VersionState.READY);
        assertThat(images.newestRunnable("inherit")).map(ImageVersion::version).contains(2);
    }

    @Test
    void badNamesAndDuplicateNamesAreRefusedBeforeAnythingIsCreated() throws Exception {
        Path layout = Fixtures.layout(work.resolve("names"), ImageConfig.EMPTY, List.of(Fixtures.busybox()));
        assertThatThrownBy(() -> images.create("Bad Name", new ImageSourceSpec.HostPath(layout, null), SMALL))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("[a-z0-9][a-z0-9._-]{0,62}");
        assertThatThrownBy(() -> new Resources(1, 64, 1024))
                .isInstanceOf(InvalidRequestException.class).hasMessage("resources.memoryMiB must be between 128 and 32768; got 64");
        images.create("dup", new ImageSourceSpec.HostPath(layout, null), SMALL);
        assertThatThrownBy(() -> images.create("dup", new ImageSourceSpec.HostPath(layout, null), SMALL))
                .isInstanceOf(ImageExistsException.class);
        assertThat(images.versions("dup")).hasSize(1);
        built(images.versions("dup").getFirst());
    }
}
