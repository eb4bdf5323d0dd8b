package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.cli.internal.HotVerbs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hot verbs' own parser ({@link HotVerbs}) against picocli: every command line runs through
 * both, each against its own fake burrowd set up the same way, and must give the same exit code,
 * stdout and stderr and send the same requests. Each case also pins which parser takes it, so a
 * line the fast path should run cannot silently fall back to picocli (nor the reverse).
 */
class HotVerbsParityTest {
    @TempDir
    Path tmp;

    private static final Consumer<FakeBurrowd> THREE_VMS = fake -> {
        fake.addMicroVm("vm01aaa1").putObject("labels").put("app", "web");
        fake.addMicroVm("vm01bbb1");
        fake.addMicroVm("vm02ccc1");
    };

    /** What one parser made of a command line: its output and the requests it sent. */
    private record Outcome(int code, String out, String err, List<String> requests) {}

    private Outcome run(boolean picocli, Consumer<FakeBurrowd> setup, Consumer<CliHarness> tweak, String... args) {
        try (FakeBurrowd fake = new FakeBurrowd()) {
            setup.accept(fake);
            Path home = Files.createTempDirectory(tmp, picocli ? "picocli" : "hot");
            CliHarness cli = new CliHarness(home).against(fake);
            tweak.accept(cli);
            CliHarness.Result r = picocli ? cli.runWithPicocli(args) : cli.run(args);
            List<String> requests = fake.requests.stream()
                    .map(q -> q.method() + " " + q.path() + "?" + q.query() + " " + new String(q.body(), StandardCharsets.UTF_8))
                    .toList();
            assertThat(fake.contractViolations).isEmpty();
            return new Outcome(r.code(), r.out(), r.err(), requests);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the line through both parsers; answers the (equal) outcome. */
    private Outcome same(boolean hot, Consumer<FakeBurrowd> setup, Consumer<CliHarness> tweak, String... args) {
        assertThat(HotVerbs.parse(args) != null).as("taken by the fast path: %s", List.of(args)).isEqualTo(hot);
        Outcome fast = run(false, setup, tweak, args);
        Outcome slow = run(true, setup, tweak, args);
        assertThat(fast).as("%s", List.of(args)).isEqualTo(slow);
        return fast;
    }

    private Outcome hot(String... args) {
        return same(true, THREE_VMS, cli -> {}, args);
    }

    private Outcome picocli(String... args) {
        return same(false, THREE_VMS, cli -> {}, args);
    }

    @Test
    void versionReadsTheSameEitherWay() {
        assertThat(hot("version").out()).startsWith("client: burrow ").contains("server: burrowd");
        assertThat(hot("version", "--json").out()).contains("\"client\"");
    }

    @Test
    void psWithEachOptionReadsTheSameEitherWay() {
        assertThat(hot("ps").out()).contains("vm01aaa1").contains("app=web");
        hot("ps", "--json");
        hot("ps", "--state", "RUNNING");
        hot("ps", "--state=SUSPENDED", "-l", "app=web");
        hot("ps", "--label", "app=web", "--json");
        hot("ps", "--label=app=web");
        hot("ps", "--state", "");
        // a value given with = is the value, however it starts
        hot("ps", "--state=-x");
    }

    @Test
    void execWithEachOptionReadsTheSameEitherWay() {
        assertThat(hot("exec", "vm01aaa1", "--", "sh", "-c", "exit 3").code()).isEqualTo(3);
        hot("exec", "vm01aaa1", "sh", "-c", "exit 0");
        hot("exec", "-e", "A=1", "--env", "B=2", "-w", "/tmp", "-u", "root", "--timeout", "5s", "--no-stdin", "vm01aaa1", "echo", "hi");
        hot("exec", "--env=A=1", "--workdir=/srv", "--user=app", "--timeout=1m", "--json", "vm01aaa1", "--", "echo", "x");
        // after the id every word is the command's, however much it looks like an option
        hot("exec", "vm01aaa1", "echo", "--json", "-e", "--help");
        hot("exec", "vm01aaa1", "--", "--", "echo");
        hot("exec", "vm01aaa1", "sleep", "9");
        hot("exec", "--workdir=-x", "vm01aaa1", "true");
    }

    @Test
    void execErrorsReadTheSameEitherWay() {
        assertThat(hot("exec", "vm01aaa1", "--").err()).contains("no command given");
        assertThat(hot("exec", "-e", "NOEQUALS", "vm01aaa1", "--", "true").err()).contains("--env expects KEY=VALUE");
        assertThat(hot("exec", "--timeout", "forever", "vm01aaa1", "--", "true").code()).isEqualTo(Burrow.EXIT_ERROR);
        assertThat(hot("exec", "vm01", "--", "true").err()).contains("ambiguous microVM id prefix 'vm01'");
        assertThat(hot("exec", "nosuch", "--", "true").err()).contains("no microVM matches 'nosuch'");
        assertThat(hot("exec", "", "--", "true").err()).contains("empty microVM id");
        assertThat(hot("exec", "../x", "--", "true").err()).contains("no microVM matches '../x'");
    }

    @Test
    void execByAFullIdSendsOneRequestAndByAPrefixListsOnlyAfterA404() {
        assertThat(hot("exec", "vm01aaa1", "--", "true").requests()).hasSize(1).allMatch(r -> r.startsWith("POST /v1/microvms/vm01aaa1/exec"));
        assertThat(hot("exec", "vm02", "--", "true").requests()).extracting(r -> r.substring(0, r.indexOf('?')))
                .containsExactly("POST /v1/microvms/vm02/exec", "GET /v1/microvms", "GET /v1/microvms", "POST /v1/microvms/vm02ccc1/exec");
    }

    @Test
    void runWithEachOptionReadsTheSameEitherWay() {
        hot("run", "demo");
        hot("run", "--json", "demo:1");
        hot("run", "demo", "-l", "a=b", "--label", "c=d", "-e", "X=1", "--env=Y=2", "--idle", "300s", "--suspended=1h",
                "--auto-resume", "--max-duration", "8h", "--egress", "allowlist:pypi.org", "--payload", "hi", "--no-wait", "--json");
        assertThat(hot("run", "demo:x").err()).contains("invalid image reference");
        assertThat(hot("run", "demo", "--suspended", "1h").err()).contains("belong to an idle policy");
        assertThat(hot("run", "demo", "--egress", "open").err()).contains("--egress");
        assertThat(hot("run", "demo", "-l", "novalue").err()).contains("--label expects KEY=VALUE");
    }

    @Test
    void malformedCommandLinesAreLeftToPicocliAndReadAsTheyDid() {
        assertThat(picocli("version", "--help").out()).contains("Usage: burrow version");
        picocli("version", "-h");
        assertThat(picocli("version", "extra").err()).contains("Unmatched argument");
        picocli("version", "--json", "--json");
        picocli("version", "--json=true");
        assertThat(picocli("version", "--jsn").err()).contains("Unknown option");
        picocli("ps", "--state");
        picocli("ps", "--state", "--json");
        picocli("ps", "-l");
        picocli("ps", "--stat", "RUNNING");
        picocli("ps", "--");
        picocli("ps", "RUNNING");
        picocli("ps", "--state", "A", "--state", "B");
        picocli("ps", "--state", "-x");
        picocli("exec");
        picocli("exec", "vm01aaa1");
        picocli("exec", "--", "vm01aaa1", "true");
        picocli("exec", "--env");
        picocli("exec", "--bogus", "vm01aaa1", "true");
        picocli("exec", "-w", "-x", "vm01aaa1", "true");
        picocli("exec", "-eA=1", "vm01aaa1", "true");
        picocli("exec", "--no-stdin=true", "vm01aaa1", "true");
        picocli("exec", "-u", "a", "-u", "b", "vm01aaa1", "true");
        picocli("exec", "--help");
        picocli("run");
        picocli("run", "a", "b");
        picocli("run", "--idle");
        picocli("run", "demo", "--json", "--json");
        picocli("run", "--help");
    }

    @Test
    void anArgumentFileIsLeftToPicocli() throws IOException {
        Path args = tmp.resolve("args");
        Files.writeString(args, "--json\n");
        assertThat(picocli("version", "@" + args).out()).contains("\"client\"");
        picocli("exec", "vm01aaa1", "echo", "@" + args);
    }

    @Test
    void theUrlAndKeyComeFromTheSamePlacesEitherWay() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String unreachable = "http://127.0.0.1:" + closed;
        Outcome down = same(true, THREE_VMS, cli -> cli.env.put("BURROW_URL", unreachable), "ps");
        assertThat(down.err()).contains("cannot reach burrowd at " + unreachable);
        assertThat(down.code()).isEqualTo(Burrow.EXIT_ERROR);
        same(true, THREE_VMS, cli -> cli.env.put("BURROW_URL", unreachable), "version");
        Outcome noKey = same(true, THREE_VMS, cli -> cli.env.remove("BURROW_API_KEY"), "exec", "vm01aaa1", "true");
        assertThat(noKey.err()).contains("no API key");
        // the config file's url and key when the environment names none
        Outcome fromFile = same(true, THREE_VMS, cli -> {
            String url = cli.env.remove("BURROW_URL");
            String key = cli.env.remove("BURROW_API_KEY");
            Path file = Path.of(cli.env.get("XDG_CONFIG_HOME"), "burrow", "config.json");
            try {
                Files.createDirectories(file.getParent());
                Files.writeString(file, "{\"url\":\"" + url + "/\",\"apiKey\":\"" + key + "\"}");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "ps", "--json");
        assertThat(fromFile.code()).isZero();
        assertThat(fromFile.out()).contains("vm01aaa1");
    }
}
