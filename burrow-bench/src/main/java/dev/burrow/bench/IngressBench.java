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
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * token check, forwarder, over loopback HTTP/1.1 keep-alive from the JDK client) and, in the same
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
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/proxy/" + ID + "/index.html"))
                        .header("X-Burrow-Token", token).build();
                Callable<Integer> viaEndpoint = () -> {
                    HttpResponse<byte[]> r = http.send(get, HttpResponse.BodyHandlers.ofByteArray());
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("the endpoint answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
                    }
                    return r.body().length;
                };
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
                        + "| through the endpoint (HTTP/1.1 keep-alive, token header, /proxy/) | " + endpoint.summary() + " | "
                        + String.format("%.0f req/s", endpointRps) + " |\n"
                        + "| raw agent TCP stream, same request bytes, no host HTTP | " + stream.summary() + " | "
                        + String.format("%.0f req/s", streamRps) + " |\n"
                        + String.format("| endpoint overhead | p50 +%.2f ms, p99 +%.2f ms | %.2f× |%n",
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
                    public GuestLink dial(int port, Duration timeout) throws java.io.IOException {
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
