package dev.burrow.daemon.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.api.ApiLimits;
import dev.burrow.daemon.api.ApiServer;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.tokens.PortSet;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Guests and clients that break the rules: each gets a bounded answer in bounded time, and nothing is held afterwards. */
@Tag("hostile")
class IngressHostileTest extends IngressFixture {

    /** Serves one hostile guest app on port 8080 for the test's request. */
    private Wire.Response through(FakeApp.Handler guest) throws Exception {
        try (FakeApp app = new FakeApp(guest)) {
            guests.ports.put(8080, app.port());
            return get(host(8080, "vm1"), "/", "X-Burrow-Token: " + token(PortSet.of(8080)));
        }
    }

    private static void answer(java.net.Socket s, String raw) throws IOException {
        FakeApp.head(s.getInputStream());
        s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    @Test
    void aResponseHeadLargerThan64KiBIs502() throws Exception {
        Wire.Response r = through(s -> answer(s, "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(70 * 1024) + "\r\nContent-Length: 0\r\n\r\n"));
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.header("content-type")).isEqualTo("application/problem+json");
        assertThat(r.text()).contains("larger than 65536 bytes");
        await(() -> guests.openVisits.get() == 0, "the visit ended");
    }

    @Test
    void somethingThatIsNotHttpIs502() throws Exception {
        assertThat(through(s -> answer(s, "SSH-2.0-OpenSSH\r\n\r\n")).status()).isEqualTo(502);
        assertThat(through(s -> answer(s, "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n")).status()).isEqualTo(502);
        assertThat(through(s -> answer(s, "HTTP/1.1 2000 OK\r\n\r\n")).status()).isEqualTo(502);
        assertThat(through(s -> answer(s, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")).status())
                .isEqualTo(502);
        assertThat(through(s -> answer(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")).status()).isEqualTo(502);
        assertThat(through(s -> answer(s, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")).status()).isEqualTo(502);
    }

    @Test
    void aGuestThatNeverAnswersIs504AfterTheResponseHeaderTimeout() throws Exception {
        long t0 = System.nanoTime();
        Wire.Response r = through(s -> {
            FakeApp.head(s.getInputStream());
            s.getInputStream().read(); // holds the connection, says nothing
        });
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.status()).isEqualTo(504);
        assertThat(ms).isBetween(SETTINGS.responseHeaderTimeout().toMillis() - 50, SETTINGS.responseHeaderTimeout().toMillis() + 3000);
        await(() -> guests.openVisits.get() == 0, "the visit ended");
    }

    @Test
    void aGuestDrippingItsHeadAByteAtATimeIs504AtTheHeadDeadlineNotLater() throws Exception {
        long t0 = System.nanoTime();
        Wire.Response r = through(s -> {
            FakeApp.head(s.getInputStream());
            OutputStream out = s.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.ISO_8859_1));
            for (int i = 0; i < 10_000; i++) {
                out.write('X');
                out.flush();
                Thread.sleep(100); // the hostile guest's pace, not a wait of the test
            }
        });
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.status()).isEqualTo(504);
        assertThat(ms).isLessThan(SETTINGS.responseHeaderTimeout().toMillis() + 3000);
    }

    @Test
    void aClientDrippingItsRequestHeadIsClosedAtTheHeaderDeadlineWithoutReachingTheGuest() throws Exception {
        Duration deadline = Duration.ofMillis(500);
        ApiServer guarded = new ApiServer("127.0.0.1", 0, new ApiKeys(db), ApiLimits.DEFAULTS.withDeadlines(deadline, deadline))
                .ingress(new Ingress("localhost", tokens, guests, SETTINGS, clock));
        guarded.start();
        try (Wire w = new Wire(guarded.port())) {
            String head = "GET / HTTP/1.1\r\nHost: 8080-vm1.localhost:" + guarded.port() + "\r\nX-Burrow-Token: " + token(PortSet.of(8080))
                    + "\r\nX-Slow: " + "x".repeat(4096) + "\r\n\r\n";
            long t0 = System.nanoTime();
            CompletableFuture<Long> closedAt = CompletableFuture.supplyAsync(() -> {
                try {
                    while (w.in.read() >= 0) {
                        // a 408 or nothing: the server's end is what counts
                    }
                } catch (IOException e) {
                    // reset: closed too
                }
                return System.nanoTime();
            });
            for (int i = 0; i < head.length() && !closedAt.isDone(); i++) {
                try {
                    w.send(head.substring(i, i + 1));
                } catch (IOException e) {
                    break;
                }
                Thread.sleep(20); // the hostile client's pace: the whole head would take over a minute
            }
            Duration open = Duration.ofNanos(closedAt.get(10, TimeUnit.SECONDS) - t0);
            assertThat(open).isLessThan(deadline.plus(Duration.ofSeconds(2)));
        } finally {
            guarded.close();
        }
        assertThat(guests.visits.get()).isZero();
    }

    @Test
    void aGuestThatStopsShortOfItsContentLengthCutsTheClientsResponse() throws Exception {
        try (FakeApp app = new FakeApp(s -> answer(s, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this"))) {
            guests.ports.put(8080, app.port());
            try (Wire w = new Wire(server.port())) {
                w.send("GET / HTTP/1.1\r\nHost: " + host(8080, "vm1") + "\r\nX-Burrow-Token: " + token(PortSet.of(8080)) + "\r\n\r\n");
                String head = FakeApp.head(w.in);
                assertThat(head).startsWith("HTTP/1.1 200").contains("Content-Length: 1000");
                byte[] rest = w.in.readAllBytes(); // the connection ends: the client sees a short body, not a whole one
                assertThat(rest.length).isLessThan(1000);
            }
            await(() -> guests.openVisits.get() == 0, "the visit ended");
        }
    }

    @Test
    void aClientThatNeverReadsHoldsABoundedAmountOfTheGuestsOutput() throws Exception {
        AtomicLong written = new AtomicLong();
        AtomicLong lastProgress = new AtomicLong(System.nanoTime());
        try (FakeApp app = new FakeApp(s -> {
            FakeApp.head(s.getInputStream());
            OutputStream out = s.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            byte[] chunk = new byte[64 * 1024];
            while (true) {
                out.write(chunk);
                written.addAndGet(chunk.length);
                lastProgress.set(System.nanoTime());
            }
        })) {
            guests.ports.put(8080, app.port());
            try (Wire w = new Wire(server.port())) {
                w.socket.setReceiveBufferSize(4096);
                w.send("GET / HTTP/1.1\r\nHost: " + host(8080, "vm1") + "\r\nX-Burrow-Token: " + token(PortSet.of(8080)) + "\r\n\r\n");
                await(() -> written.get() > 0 && System.nanoTime() - lastProgress.get() > Duration.ofMillis(500).toNanos(),
                        "the guest's writes stall");
                // kernel socket buffers on both hops plus one copy buffer: megabytes, not the unbounded stream
                assertThat(written.get()).isLessThan(32L << 20);
                assertThat(guests.openVisits.get()).isEqualTo(1);
            }
            await(() -> guests.openVisits.get() == 0, "the visit ended once the client went away");
        }
    }
}
