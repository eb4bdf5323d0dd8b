package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hot verbs in a JVM whose class path has no picocli at all: they must run to the end, so
 * nothing on their path touches it (and all of it can sit in the AOT cache). The help, which
 * is picocli's, fails there, which shows picocli really is absent.
 */
class HotVerbsWithoutPicocliTest {
    /** How long one child JVM may take on a loaded machine. */
    private static final long CHILD_SECONDS = 60;

    @TempDir
    Path home;

    FakeBurrowd fake;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeBurrowd();
        fake.addMicroVm("vm01aaa1");
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private record Child(int code, String out, String err) {}

    private static String jarOf(Class<?> cls) {
        try {
            return Path.of(cls.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private Child child(String... args) throws Exception {
        String cp = String.join(File.pathSeparator, Stream.of(Burrow.class, ObjectMapper.class, JsonFactory.class, JsonProperty.class)
                .map(HotVerbsWithoutPicocliTest::jarOf).distinct().toList());
        assertThat(cp).doesNotContain("picocli");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", cp, Burrow.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("BURROW_URL", fake.url());
        pb.environment().put("BURROW_API_KEY", FakeBurrowd.KEY);
        pb.environment().put("HOME", home.toString());
        pb.environment().put("XDG_CONFIG_HOME", home.toString());
        Path out = home.resolve("out"), err = home.resolve("err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(CHILD_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("burrow " + String.join(" ", args) + " did not end in " + CHILD_SECONDS + " s");
        }
        return new Child(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void versionPsExecAndRunNeedNoPicocli() throws Exception {
        Child version = child("version");
        assertThat(version.code()).as(version.err()).isZero();
        assertThat(version.out()).contains("server: burrowd");
        Child ps = child("ps", "--state", "RUNNING");
        assertThat(ps.code()).as(ps.err()).isZero();
        assertThat(ps.out()).contains("vm01aaa1");
        Child exec = child("exec", "vm01", "--", "sh", "-c", "exit 4");
        assertThat(exec.code()).as(exec.err()).isEqualTo(4);
        Child run = child("run", "demo", "-l", "a=b");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).startsWith("vm01new");
    }

    @Test
    void theHelpIsPicoclisAndFailsWithoutIt() throws Exception {
        Child help = child("ps", "--help");
        assertThat(help.code()).isNotZero();
        assertThat(help.err()).contains("NoClassDefFoundError").contains("picocli");
    }
}
