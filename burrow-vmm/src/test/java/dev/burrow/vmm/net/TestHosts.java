package dev.burrow.vmm.net;

import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.internal.Commands;
import dev.burrow.vmm.internal.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A "server on the internet" for egress tests: a network namespace named
 * {@code burrowtest-<instance>-web} joined to the host by a veth (host end {@code bt<random>},
 * its alias the namespace's name), holding a public test address and one in a private range, a
 * busybox httpd on port {@value #HTTP_PORT} of both. The third octets are random so parallel
 * test runs on one host do not share a subnet. Closing removes all of it.
 */
final class TestHosts implements AutoCloseable {

    static final int HTTP_PORT = 8080;
    static final String PAGE = "hello from the test host\n";
    private static final long TIMEOUT_SECONDS = 10;

    final String netns;
    final String link;
    /** 198.18.x.1: the host's end (198.18.0.0/15 is the benchmarking range: routable, blocked by no default). */
    final String hostPublic;
    final String webPublic;
    /** 192.168.x.1 and .2: a private range every INTERNET path blocks. */
    final String hostPrivate;
    final String webPrivate;
    private final Path root;
    private final List<Process> servers = new ArrayList<>();

    private TestHosts(String instanceId) throws IOException {
        int n = ThreadLocalRandom.current().nextInt(1, 255);
        this.netns = "burrowtest-" + instanceId + "-web";
        this.link = "bt" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36);
        this.hostPublic = "198.18." + n + ".1";
        this.webPublic = "198.18." + n + ".2";
        this.hostPrivate = "192.168." + n + ".1";
        this.webPrivate = "192.168." + n + ".2";
        this.root = Files.createTempDirectory("burrowtest-web-");
    }

    static TestHosts start(String instanceId) throws Exception {
        TestHosts h = new TestHosts(instanceId);
        try {
            h.setUp();
            return h;
        } catch (Exception e) {
            h.close();
            throw e;
        }
    }

    private void setUp() throws Exception {
        ip("netns", "add", netns);
        ip("link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", netns);
        ip("link", "set", "dev", link, "alias", netns, "up");
        ip("addr", "add", hostPublic + "/24", "dev", link);
        ip("addr", "add", hostPrivate + "/24", "dev", link);
        ip("-n", netns, "link", "set", "lo", "up");
        ip("-n", netns, "addr", "add", webPublic + "/24", "dev", "eth0");
        ip("-n", netns, "addr", "add", webPrivate + "/24", "dev", "eth0");
        ip("-n", netns, "link", "set", "eth0", "up");
        Files.writeString(root.resolve("index.html"), PAGE);
        servers.add(new ProcessBuilder("ip", "netns", "exec", netns, "busybox", "httpd", "-f", "-p", Integer.toString(HTTP_PORT),
                "-h", root.toString()).redirectErrorStream(true).redirectOutput(root.resolve("httpd.log").toFile()).start());
    }

    String url(String address) {
        return "http://" + address + ":" + HTTP_PORT + "/index.html";
    }

    private static void ip(String... args) throws VmmException {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        Commands.run(argv, TIMEOUT_SECONDS);
    }

    @Override
    public void close() throws Exception {
        for (Process p : servers) {
            p.destroyForcibly().waitFor();
        }
        if (Files.exists(Path.of("/sys/class/net", link))) {
            ip("link", "del", link);
        }
        if (Files.exists(Path.of("/run/netns", netns))) {
            ip("netns", "del", netns);
        }
        FileTrees.deleteQuietly(root);
    }
}
