package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.cli.Burrow;
import dev.burrow.daemon.api.WsClient;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jline.terminal.Terminal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * Terminals in a real microVM through a real burrowd: the PTY WebSocket as a client program
 * drives it (size, resize, ^C, exit code), and {@code burrow shell} in tmux as a user drives it —
 * whose own terminal must be as it was before, however the shell ended.
 */
class ShellTerminalTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** An idle suspend comes within maxIdleSeconds + 5 s (SPEC §1), and a TCG suspend takes a few more. */
    private static final Duration IDLE_DEADLINE = Duration.ofSeconds(60);
    private static TestDaemon daemon;
    private static String base;
    private static String key;
    private static String vm;

    @BeforeAll
    static void start() throws Exception {
        daemon = TestDaemon.start("shell");
        base = daemon.base;
        key = daemon.key;
        daemon.buildBusybox("bb");
        vm = daemon.run("bb", "");
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static JsonNode call(String method, String path, HttpRequest.BodyPublisher body, int status) throws Exception {
        HttpResponse<String> r = daemon.send(method, path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return JSON.readTree(r.body());
    }

    private static WsClient terminal(String query) throws Exception {
        return WsClient.connect(URI.create(base.replace("http", "ws") + "/v1/microvms/" + vm + "/pty" + query),
                Map.of("Authorization", "Bearer " + key), true);
    }

    @Test
    void theGuestTerminalHasTheRequestedSizeAndFollowsAResize() throws Exception {
        WsClient t = terminal("?cmd=/bin/sh&cols=80&rows=24");
        t.send("stty size\r");
        WsClient.await(() -> t.output().contains("24 80"), "stty size printed 24 80");
        t.control("{\"resize\":{\"cols\":100,\"rows\":30}}");
        t.send("stty size\r");
        WsClient.await(() -> t.output().contains("30 100"), "stty size printed 30 100 after the resize");
        t.send("exit 7\r");
        assertThat(t.awaitClose()).startsWith("1000 ");
        assertThat(t.texts).containsExactly("{\"exit\":7}");
    }

    @Test
    void controlCIsAByteThatInterruptsTheForegroundCommand() throws Exception {
        WsClient t = terminal("?cmd=/bin/sh");
        // the child prints once it is the terminal's foreground process group, so ^C cannot reach the shell instead
        t.send("sh -c 'echo sle\"\"eping; exec sleep 100'\r");
        WsClient.await(() -> t.output().lines().anyMatch(l -> l.strip().equals("sleeping")), "sleep is in the foreground");
        t.send("\u0003");
        t.send("echo after-$?\r");
        try {
            WsClient.await(() -> t.output().contains("after-130"), "sleep was interrupted (128 + SIGINT)");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; the terminal showed:\n" + t.output(), e);
        }
        t.send("exit\r");
        assertThat(t.awaitClose()).startsWith("1000 ");
    }

    @Test
    void aSilentOpenTerminalLetsTheMicroVmIdleSuspendWhichClosesItAndAReconnectResumesIt() throws Exception {
        String idle = call("POST", "/v1/microvms", HttpRequest.BodyPublishers.ofString(
                "{\"image\":\"bb\",\"idlePolicy\":{\"maxIdleSeconds\":2,\"autoResume\":true}}"), 201).get("id").asText();
        try {
            URI uri = URI.create(base.replace("http", "ws") + "/v1/microvms/" + idle + "/pty?cmd=/bin/sh");
            WsClient t = WsClient.connect(uri, Map.of("Authorization", "Bearer " + key), true);
            // nothing is typed: the open terminal alone is no activity, so the idle suspend comes (within 2 s + 5 s)
            assertThat(t.closed.get(IDLE_DEADLINE.toSeconds(), TimeUnit.SECONDS)).startsWith("1001 ").contains("suspended");
            // the terminal closes as the suspend begins; the save completes a moment later
            WsClient.await(() -> state(idle).equals("SUSPENDED"), "the idle microVM is SUSPENDED");
            WsClient again = WsClient.connect(uri, Map.of("Authorization", "Bearer " + key), true);
            again.send("echo re''sumed\r");
            WsClient.await(() -> again.output().lines().anyMatch(l -> l.strip().equals("resumed")), "the resumed microVM's shell answered");
            again.send("exit\r");
            assertThat(again.awaitClose()).startsWith("1000 ");
        } finally {
            call("DELETE", "/v1/microvms/" + idle, HttpRequest.BodyPublishers.noBody(), 202);
        }
    }

    /** Longer than maxIdleSeconds (2) + the 5 s an idle suspend may take: quiet this long, the microVM would be suspended. */
    private static final Duration BUSY_SPELL = Duration.ofSeconds(10);

    @Test
    void trafficOnAnOpenTerminalAndARunningFileTransferKeepTheMicroVmFromIdling() throws Exception {
        String busy = call("POST", "/v1/microvms", HttpRequest.BodyPublishers.ofString(
                "{\"image\":\"bb\",\"idlePolicy\":{\"maxIdleSeconds\":2}}"), 201).get("id").asText();
        ScheduledExecutorService pace = Executors.newSingleThreadScheduledExecutor();
        try {
            // a keystroke every half second: the open terminal with traffic is activity
            WsClient t = WsClient.connect(URI.create(base.replace("http", "ws") + "/v1/microvms/" + busy + "/pty?cmd=/bin/sh"),
                    Map.of("Authorization", "Bearer " + key), true);
            ScheduledFuture<?> typing = pace.scheduleAtFixedRate(() -> {
                try {
                    t.send(":\r");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, 0, 500, TimeUnit.MILLISECONDS);
            assertStaysRunning(busy, BUSY_SPELL, "while a terminal has traffic");
            typing.cancel(false);
            t.send("exit\r");
            assertThat(t.awaitClose()).startsWith("1000 ");
            // and the policy is live: left alone, the same microVM is suspended
            WsClient.await(() -> state(busy).equals("SUSPENDED"), busy + " suspended once nothing used it");
            call("POST", "/v1/microvms/" + busy + "/resume", HttpRequest.BodyPublishers.noBody(), 200);

            // an upload that trickles for longer than the idle limit: a running file operation is activity
            PipedOutputStream feed = new PipedOutputStream();
            PipedInputStream body = new PipedInputStream(feed, 1 << 16);
            CompletableFuture<HttpResponse<String>> upload = HTTP.sendAsync(
                    HttpRequest.newBuilder(URI.create(base + "/v1/microvms/" + busy + "/files?path=/tmp/trickle"))
                            .header("Authorization", "Bearer " + key).PUT(HttpRequest.BodyPublishers.ofInputStream(() -> body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            ScheduledFuture<?> trickle = pace.scheduleAtFixedRate(() -> {
                try {
                    feed.write(new byte[1024]);
                    feed.flush();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, 0, 250, TimeUnit.MILLISECONDS);
            assertStaysRunning(busy, BUSY_SPELL, "while a file upload runs");
            trickle.cancel(false);
            pace.submit(() -> { feed.close(); return null; }).get();
            HttpResponse<String> done = upload.get(60, TimeUnit.SECONDS);
            assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
            assertThat(JSON.readTree(done.body()).get("size").asLong()).isGreaterThanOrEqualTo(30 * 1024);
        } finally {
            pace.shutdownNow();
            call("DELETE", "/v1/microvms/" + busy, HttpRequest.BodyPublishers.noBody(), 202);
        }
    }

    private static String state(String id) {
        try {
            return call("GET", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), 200).get("state").asText();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Checks the state every 200 ms for {@code spell}: any state but RUNNING fails at once. */
    private static void assertStaysRunning(String id, Duration spell, String why) throws Exception {
        long end = System.nanoTime() + spell.toNanos();
        while (System.nanoTime() < end) {
            assertThat(state(id)).as("%s %s", id, why).isEqualTo("RUNNING");
            Thread.sleep(200);
        }
    }

    @Test
    void theDefaultCommandIsTheUsersLoginShell() throws Exception {
        WsClient t = terminal("?user=burrow");
        t.send("echo \"$0:$(id -un):$HOME\"\r");
        WsClient.await(() -> t.output().contains("-sh:burrow:/home/burrow") || t.output().contains("sh:burrow:/home/burrow"),
                "the shell runs as burrow in its home");
        t.send("exit\r");
        assertThat(t.awaitClose()).startsWith("1000 ");
    }

    /** {@code burrow shell ID} as the launcher runs it: the CLI's classes from this test's class path. */
    private static String shellCommand(String args) {
        String cp = Stream.of(Burrow.class, CommandLine.class, ObjectMapper.class, JsonFactory.class, JsonProperty.class, Terminal.class)
                .map(c -> c.getProtectionDomain().getCodeSource().getLocation().getPath()).distinct().collect(Collectors.joining(":"));
        return Path.of(System.getProperty("java.home"), "bin", "java") + " -XX:TieredStopAtLevel=1 -cp " + cp
                + " " + Burrow.class.getName() + " shell " + args + "; echo exit=$?";
    }

    private static Tmux tmux(String name) throws Exception {
        Tmux t = new Tmux("burrow-shell-test-" + ProcessHandle.current().pid() + "-" + name, 120, 40,
                List.of("BURROW_URL=" + base, "BURROW_API_KEY=" + key));
        awaitAnswer(t, "outer-ready");
        t.type("before=$(stty -g)");
        return t;
    }

    /** Waits for a shell to answer: a line only its output can hold (the typed command has quotes inside). */
    private static void awaitAnswer(Tmux t, String marker) throws Exception {
        t.type("echo " + marker.charAt(0) + "''" + marker.substring(1));
        t.await(s -> s.lines().anyMatch(l -> l.strip().equals(marker)), "the shell answered " + marker);
    }

    private static void assertTerminalRestored(Tmux t) throws Exception {
        t.type("echo tty-$([ \"$(stty -g)\" = \"$before\" ] && echo same || echo changed)");
        String screen = t.await(s -> s.contains("tty-same") || s.contains("tty-changed"), "the outer shell compared stty -g");
        assertThat(screen).as("the terminal after burrow shell").contains("tty-same");
    }

    @Test
    @Tag("tmux")
    void burrowShellInTmuxRunsTopFollowsTheWindowPassesCtrlCAndExitsWithTheRemoteCode() throws Exception {
        try (Tmux t = tmux("main")) {
            t.type(shellCommand(vm));
            awaitAnswer(t, "remote-ready");
            t.type("top");
            t.await(s -> s.contains("Mem:") && s.contains("CPU:") && s.contains("PID"), "top shows its header");
            t.keys("q");
            awaitAnswer(t, "after-top");
            t.type("echo size=$(stty size)");
            t.await(s -> s.contains("size=40 120"), "the remote terminal has the window's size");
            t.run("resize-window", "-t", t.session, "-x", "100", "-y", "30");
            assertThat(t.paneSize()).isEqualTo("30 100");
            t.type("echo size=$(stty size)");
            t.await(s -> s.contains("size=30 100"), "the remote terminal followed the resize");
            t.type("sh -c 'echo sle\"\"eping; exec sleep 100'");
            t.await(s -> s.lines().anyMatch(l -> l.strip().equals("sleeping")), "sleep is in the foreground");
            t.keys("C-c");
            t.type("echo rc=$?");
            t.await(s -> s.contains("rc=130"), "Ctrl-C interrupted sleep (128 + SIGINT)");
            t.type("exit 3");
            t.await(s -> s.contains("exit=3"), "burrow shell exited with the remote shell's code");
            assertTerminalRestored(t);
        }
    }

    @ParameterizedTest(name = "SIG{0}")
    @CsvSource({"TERM, 143", "INT, 130", "HUP, 129"})
    @Tag("tmux")
    void aSignalToBurrowShellEndsItAndRestoresTheTerminal(String signal, int code) throws Exception {
        try (Tmux t = tmux("sig" + signal)) {
            t.type(shellCommand(vm));
            awaitAnswer(t, "remote-ready");
            ProcessHandle cli = ProcessHandle.of(t.panePid()).orElseThrow().children().findFirst().orElseThrow();
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(cli.pid())).inheritIO().start();
            assertThat(kill.waitFor()).isZero();
            t.await(s -> s.contains("exit=" + code), "burrow shell ended on SIG" + signal);
            assertTerminalRestored(t);
        }
    }

    @Test
    @Tag("tmux")
    void aSuspendClosesBurrowShellWithTheReasonAndRestoresTheTerminal() throws Exception {
        try (Tmux t = tmux("suspend")) {
            t.type(shellCommand(vm));
            awaitAnswer(t, "remote-ready");
            call("POST", "/v1/microvms/" + vm + "/suspend", HttpRequest.BodyPublishers.noBody(), 200);
            try {
                String screen = t.await(s -> s.contains("exit=125"), "burrow shell ended with a Burrow error");
                assertThat(screen).contains("suspended");
                assertTerminalRestored(t);
            } finally {
                call("POST", "/v1/microvms/" + vm + "/resume", HttpRequest.BodyPublishers.noBody(), 200);
            }
        }
    }
}
