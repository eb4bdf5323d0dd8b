package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code burrow shell} against a stand-in PTY WebSocket, with a stdin that is not a terminal. */
class ShellCommandTest {

    @TempDir
    Path home;

    FakePtyServer server;
    CliHarness cli;

    @BeforeEach
    void start() throws Exception {
        server = new FakePtyServer();
        cli = new CliHarness(home);
        cli.env.putAll(FakePtyServer.env(server));
        cli.stdinTty = false;
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void inputGoesOutOutputComesBackAndTheRemoteExitCodeIsOurs() {
        cli.stdin = "ls\r\u0004".getBytes(StandardCharsets.ISO_8859_1);
        CliHarness.Result r = cli.run("shell", "vmpty", "--", "exit7");
        assertThat(r.code()).as(r.err()).isEqualTo(7);
        assertThat(r.out()).contains("echo:ls\r");
        assertThat(server.input.toString()).startsWith("ls\r").contains("\u0004");
        assertThat(server.authorizations).containsExactly("Bearer " + FakeBurrowd.KEY);
    }

    @Test
    void theQueryCarriesTheSizeCommandUserAndDirectory() {
        cli.stdin = "\u0004".getBytes(StandardCharsets.ISO_8859_1);
        CliHarness.Result r = cli.run("shell", "--user", "app", "--cwd", "/srv/my app", FakePtyServer.VM, "--", "top", "-d", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(server.queries).containsExactly("cols=80&rows=24&cmd=top&cmd=-d&cmd=1&user=app&cwd=%2Fsrv%2Fmy+app");
    }

    @Test
    void aServerCloseWithoutAnExitIsABurrowErrorNamingTheReason() {
        CliHarness.Result r = cli.run("shell", FakePtyServer.VM, "--", "suspend");
        assertThat(r.code()).isEqualTo(Burrow.EXIT_ERROR);
        assertThat(r.err()).contains("burrow: the microVM was suspended; reconnect to resume it");
    }

    @Test
    void aRefusedHandshakeSaysWhyWithTheMicroVmsState() {
        CliHarness.Result r = cli.run("shell", FakePtyServer.VM, "--", "refuse");
        assertThat(r.code()).isEqualTo(Burrow.EXIT_ERROR);
        assertThat(r.err()).contains("is SUSPENDED; resume it first: burrow resume " + FakePtyServer.VM);
    }

    @Test
    void webPrintsTheBrowserTerminalsUrl() {
        CliHarness.Result r = cli.run("shell", "--web", "vmpty");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo("http://127.0.0.1:1/shell/" + FakePtyServer.VM + "?token=t0k");
    }

    @Test
    void optionsRightAfterTheIdAreOptionsAndTheCommandStartsAtTheFirstOtherWord() {
        CliHarness.Result web = cli.run("shell", "vmpty", "--web");
        assertThat(web.code()).as(web.err()).isZero();
        assertThat(web.out().strip()).isEqualTo("http://127.0.0.1:1/shell/" + FakePtyServer.VM + "?token=t0k");

        cli.stdin = "\u0004".getBytes(StandardCharsets.ISO_8859_1);
        CliHarness.Result r = cli.run("shell", FakePtyServer.VM, "-u", "app", "top", "-u", "root");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(server.queries).containsExactly("cols=80&rows=24&cmd=top&cmd=-u&cmd=root&user=app");
    }
}
