package dev.burrow.daemon.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.burrow.daemon.api.ApiLimits;
import dev.burrow.daemon.api.ApiServer;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.tokens.PortSet;
import dev.burrow.daemon.tokens.Scope;
import dev.burrow.daemon.tokens.Tokens;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The endpoint on a real {@link ApiServer} with a fake guest: a well-behaved app (the JDK HTTP server) on guest port 8080, and a token store on a movable clock. */
abstract class IngressFixture {

    static final class MovableClock extends Clock {
        volatile Instant now = Instant.parse("2026-12-01T10:00:00Z");

        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    }

    static final Duration WAIT = Duration.ofSeconds(10);
    static final IngressSettings SETTINGS = IngressSettings.DEFAULTS.withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(800),
            Duration.ofSeconds(2));

    @TempDir Path dir;
    Database db;
    final MovableClock clock = new MovableClock();
    Tokens tokens;
    final SocketGuests guests = new SocketGuests();
    ApiServer server;
    HttpServer app;
    /** What the well-behaved app saw of the last request, header names lowercased. */
    final Map<String, String> seen = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        tokens = new Tokens(db, clock);
        server = new ApiServer("127.0.0.1", 0, new ApiKeys(db), ApiLimits.DEFAULTS)
                .ingress(new Ingress("localhost", tokens, guests, SETTINGS, clock));
        server.start();
        app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        app.createContext("/", x -> {
            seen.clear();
            seen.put("method", x.getRequestMethod());
            seen.put("uri", x.getRequestURI().toString());
            x.getRequestHeaders().forEach((k, v) -> seen.put(k.toLowerCase(), String.join(" | ", v)));
            MessageDigest sha = sha();
            long n = 0;
            try (InputStream in = x.getRequestBody()) {
                byte[] buf = new byte[8192];
                int r;
                while ((r = in.read(buf)) > 0) {
                    sha.update(buf, 0, r);
                    n += r;
                }
            }
            seen.put("bodyBytes", Long.toString(n));
            seen.put("bodySha", HexFormat.of().formatHex(sha.digest()));
            String q = x.getRequestURI().getQuery();
            if (q != null && q.startsWith("big=")) {
                long size = Long.parseLong(q.substring(4));
                x.sendResponseHeaders(200, 0); // chunked
                try (OutputStream out = x.getResponseBody()) {
                    Random rnd = new Random(size);
                    byte[] chunk = new byte[8192];
                    for (long sent = 0; sent < size; sent += chunk.length) {
                        rnd.nextBytes(chunk);
                        out.write(chunk, 0, (int) Math.min(chunk.length, size - sent));
                    }
                }
                return;
            }
            byte[] body = ("hello from " + x.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Set-Cookie", "app=1");
            x.getResponseHeaders().add("X-App", "yes");
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        app.start();
        guests.ports.put(8080, app.getAddress().getPort());
    }

    @AfterEach
    void stop() throws Exception {
        app.stop(0);
        server.close();
        db.close();
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    String token(PortSet ports) {
        return tokens.issue(SocketGuests.TENANT, SocketGuests.ID, Scope.INGRESS, ports, Duration.ofSeconds(900)).token();
    }

    String host(int port, String id) {
        return port + "-" + id + ".localhost:" + server.port();
    }

    Wire.Response get(String host, String path, String... headers) throws IOException {
        try (Wire w = new Wire(server.port())) {
            StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
            for (String h : headers) {
                req.append(h).append("\r\n");
            }
            return w.send(req.append("Connection: close\r\n\r\n").toString()).read();
        }
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

}
