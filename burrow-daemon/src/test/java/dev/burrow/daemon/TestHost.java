package dev.burrow.daemon;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A host "on the internet" for egress tests: a network namespace {@code bth-<instance>} with a
 * veth to the host ({@code bt<instance>h}, host {@value #HOST_SIDE} ⇄ test host {@value #ADDRESS},
 * TEST-NET-3, in no blocked range) running busybox httpd on port 80. Every name carries the
 * daemon's instance id; {@link #close} removes all of it.
 */
final class TestHost implements AutoCloseable {

    static final String ADDRESS = "203.0.113.202";
    static final String HOST_SIDE = "203.0.113.201";
    static final String PAGE = "hello from the test host\n";
    private static final Duration READY = Duration.ofSeconds(20);
    private static final Duration COMMAND = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(50);

    private final String netns;
    private final String hostLink;
    private final Path docroot;
    private Process httpd;

    private TestHost(String instanceId, Path dir) {
        this.netns = "bth-" + instanceId;
        this.hostLink = "bt" + instanceId + "h";
        this.docroot = dir;
    }

    static TestHost start(String instanceId, Path dir) throws Exception {
        TestHost h = new TestHost(instanceId, Files.createDirectories(dir));
        try {
            h.create();
            return h;
        } catch (Exception | Error e) {
            h.close();
            throw e;
        }
    }

    private void create() throws Exception {
        Files.writeString(docroot.resolve("index.html"), PAGE);
        String peer = hostLink.substring(0, hostLink.length() - 1) + "n";
        run("ip", "netns", "add", netns);
        run("ip", "link", "add", hostLink, "type", "veth", "peer", "name", peer, "netns", netns);
        run("ip", "addr", "add", HOST_SIDE + "/30", "dev", hostLink);
        run("ip", "link", "set", hostLink, "up");
        run("ip", "-n", netns, "link", "set", "lo", "up");
        run("ip", "-n", netns, "addr", "add", ADDRESS + "/30", "dev", peer);
        run("ip", "-n", netns, "link", "set", peer, "up");
        httpd = new ProcessBuilder("ip", "netns", "exec", netns, "busybox", "httpd", "-f", "-p", ADDRESS + ":80", "-h",
                docroot.toString()).redirectErrorStream(true).redirectOutput(docroot.resolveSibling("httpd.log").toFile()).start();
        long deadline = System.nanoTime() + READY.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(ADDRESS, 80), 500);
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline || !httpd.isAlive()) {
                    throw new IllegalStateException("the test host's httpd did not listen on " + ADDRESS + ":80 within " + READY);
                }
                Thread.sleep(POLL.toMillis()); // polled against the deadline, as TestDaemon polls a build
            }
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(COMMAND.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " took longer than " + COMMAND);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    @Override
    public void close() throws Exception {
        if (httpd != null) {
            httpd.destroyForcibly().waitFor(COMMAND.toSeconds(), TimeUnit.SECONDS);
        }
        for (String[] cmd : new String[][] {{"ip", "link", "del", hostLink}, {"ip", "netns", "del", netns}}) {
            try {
                run(cmd);
            } catch (IllegalStateException absent) {
                // never made, or already gone with the other
            }
        }
        if (Files.exists(Path.of("/run/netns", netns))) {
            throw new IllegalStateException("the test host's namespace " + netns + " is left behind");
        }
    }
}
