package dev.burrow.bench;

import static dev.burrow.bench.BenchSupport.host;
import static dev.burrow.bench.BenchSupport.intArg;
import static dev.burrow.bench.BenchSupport.loadAverage;

import dev.burrow.daemon.api.ApiLimits;
import dev.burrow.daemon.api.ApiServer;
import dev.burrow.daemon.ingress.GuestLink;
import dev.burrow.daemon.ingress.Guests;
import dev.burrow.daemon.ingress.Ingress;
import dev.burrow.daemon.ingress.IngressSettings;
import dev.burrow.daemon.ingress.MicroVmGuests;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.tokens.PortSet;
import dev.burrow.daemon.tokens.Scope;
import dev.burrow.daemon.tokens.Tokens;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.TcpStream;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.testing.EngineFixture;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The ingress endpoint's overhead (docs/ingress.md): GETs of a small page served by
 * {@code busybox httpd} in a restored microVM, through the endpoint (the daemon's HTTP server,
 * token check, forwarder, over a loopback HTTP/1.1 keep-alive connection driven by hand) and, in the same
 * run and interleaved, through a raw agent TCP stream carrying the same request bytes (no HTTP
 * layer on the host). busybox httpd closes every connection, so both paths open one guest stream
 * per request. Sequential latency, then throughput with concurrent clients.
 *
 * <pre>./scripts/bench-ingress [--runs 500] [--concurrency 8] [--seconds 10]</pre>
 */
public final class IngressBench {

    private static final Duration T = Duration.ofSeconds(30);
    private static final String ID = "vmbench";
    private static final byte[] RAW_GET = "GET /index.html HTTP/1.0\r\nHost: bench\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    public static void main(String[] args) throws Exception {
        int runs = intArg(args, "--runs", 500);
        int concurrency = intArg(args, "--concurrency", 8);
        int seconds = intArg(args, "--seconds", 10);
        Path dir = Files.createTempDirectory("burrow-bench-ingress-");
        EngineFixture engine = EngineFixture.create(new MachineSpec(1, 512));
        try (MicroVm vm = engine.restore(); Database db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED)) {
            AgentConnection agent = vm.agent();
            agent.run(ExecRequest.of("sh", "-c", "mkdir -p /tmp/www && echo 'hello from the guest' > /tmp/www/index.html"
                    + " && httpd -p 127.0.0.1:8080 -h /tmp/www"), T);
            awaitListening(agent);
            Tokens tokens = new Tokens(db, Clock.systemUTC());
            String token = tokens.issue("bench", ID, Scope.INGRESS, PortSet.of(8080), Duration.ofHours(1)).token();
            ApiServer server = new ApiServer("127.0.0.1", 0, new ApiKeys(db), ApiLimits.DEFAULTS)
                    .ingress(new Ingress("localhost", tokens, guests(vm), IngressSettings.DEFAULTS, Clock.systemUTC()));
            server.start();
            try {
                byte[] request = ("GET /proxy/" + ID + "/index.html HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                        + "\r\nX-Burrow-Token: " + token + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
                // one keep-alive connection per client thread, driven by hand: the client's own cost stays out of the figure
                ThreadLocal<KeepAlive> connections = ThreadLocal.withInitial(() -> new KeepAlive(server.port()));
                Callable<Integer> viaEndpoint = () -> connections.get().get(request);
                Callable<Integer> viaStream = () -> raw(agent);
                for (int i = 0; i < Math.min(100, runs); i++) { // warm-up: JIT, pools, the guest's page cache
                    viaEndpoint.call();
                    viaStream.call();
                }
                Stats endpoint = new Stats();
                Stats stream = new Stats();
                for (int i = 0; i < runs; i++) {
                    long t0 = System.nanoTime();
                    viaEndpoint.call();
                    endpoint.add((System.nanoTime() - t0) / 1e6);
                    t0 = System.nanoTime();
                    viaStream.call();
                    stream.add((System.nanoTime() - t0) / 1e6);
                }
                double endpointRps = throughput(viaEndpoint, concurrency, seconds);
                double streamRps = throughput(viaStream, concurrency, seconds);
                String md = "Ingress benchmark, " + Instant.now() + "\n"
                        + "host: " + host() + ", load " + loadAverage() + "\n\n"
                        + "| GET /index.html (21 bytes, busybox httpd, 512 MiB microVM) | latency, " + runs + " sequential | throughput, "
                        + concurrency + " clients × " + seconds + " s |\n|---|---|---|\n"
                        + "| through the endpoint (HTTP/1.1 keep-alive socket, token header, /proxy/) | " + endpoint.summary() + " | "
                        + String.format("%.0f req/s", endpointRps) + " |\n"
                        + "| raw agent TCP stream, same request bytes, no host HTTP | " + stream.summary() + " | "
                        + String.format("%.0f req/s", streamRps) + " |\n"
                        + String.format("| endpoint overhead | p50 %+.2f ms, p99 %+.2f ms | raw / endpoint %.2f× |%n",
                        endpoint.percentile(50) - stream.percentile(50), endpoint.percentile(99) - stream.percentile(99),
                        streamRps / endpointRps);
                System.out.println("\n" + md);
                Files.writeString(Path.of("target", "ingress-bench.md"), md);
            } finally {
                server.close();
            }
        } finally {
            FileTrees.deleteQuietly(dir);
        }
        System.exit(0);
    }

    /** A hand-driven HTTP/1.1 keep-alive connection to the endpoint: request bytes out, one Content-Length response in. */
    private static final class KeepAlive {
        private final Socket socket;
        private final InputStream in;

        KeepAlive(int port) {
            try {
                socket = new Socket("127.0.0.1", port);
                socket.setTcpNoDelay(true);
                socket.setSoTimeout((int) T.toMillis());
                in = new BufferedInputStream(socket.getInputStream());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        int get(byte[] request) throws IOException {
            socket.getOutputStream().write(request);
            StringBuilder head = new StringBuilder();
            while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("the endpoint closed the connection");
                }
                head.append((char) c);
            }
            if (!head.toString().startsWith("HTTP/1.1 200")) {
                throw new IllegalStateException("the endpoint answered " + head);
            }
            int length = -1;
            for (String line : head.toString().split("\r\n")) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    length = Integer.parseInt(line.substring(15).strip());
                }
            }
            if (length < 0) {
                throw new IllegalStateException("no Content-Length in " + head);
            }
            return in.readNBytes(length).length;
        }
    }

    /** One request over a new agent stream: the same bytes the endpoint would send, read to the guest's close. */
    private static int raw(AgentConnection agent) throws Exception {
        try (TcpStream s = agent.connect(8080, T)) {
            s.output().write(RAW_GET);
            InputStream in = s.input(T);
            byte[] buf = new byte[16 * 1024];
            int total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
            }
            if (total == 0) {
                throw new IllegalStateException("the guest answered nothing");
            }
            return total;
        }
    }

    private static void awaitListening(AgentConnection agent) throws Exception {
        long deadline = System.nanoTime() + T.toNanos();
        while (true) {
            try {
                raw(agent);
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static double throughput(Callable<Integer> call, int clients, int seconds) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<Integer>> done = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            done.add(pool.submit(() -> {
                int n = 0;
                while (System.nanoTime() < end) {
                    call.call();
                    n++;
                }
                return n;
            }));
        }
        long total = 0;
        for (Future<Integer> f : done) {
            total += f.get();
        }
        pool.shutdown();
        return total / ((System.nanoTime() - t0) / 1e9);
    }

    /** The bare engine microVM as the endpoint's only guest. */
    private static Guests guests(MicroVm vm) {
        return new Guests() {
            @Override
            public Ports ports(String tenantId, String microVmId) {
                return new Ports(8080, OptionalInt.empty());
            }

            @Override
            public Visit visit(String tenantId, String microVmId, String requestId) {
                return new Visit() {
                    @Override
                    public Object channel() {
                        return vm.agent();
                    }

                    @Override
                    public GuestLink dial(int port, Duration timeout) throws IOException {
                        return MicroVmGuests.link(vm.agent().connect(port, timeout));
                    }

                    @Override
                    public void close() {
                        // a bare engine microVM has no lifecycle to tell
                    }
                };
            }
        };
    }
}
