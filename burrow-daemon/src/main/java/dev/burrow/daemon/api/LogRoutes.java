package dev.burrow.daemon.api;

import dev.burrow.daemon.logs.ConsoleTail;
import dev.burrow.daemon.logs.LineSplitter;
import dev.burrow.daemon.logs.LogSettings;
import dev.burrow.daemon.microvms.lifecycle.MicroVmState;
import dev.burrow.vmm.ConsoleRing;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EndPoint;

/**
 * {@code GET /v1/microvms/{id}/logs?follow=&format=text|ndjson}: the console ring (older half,
 * then newer), then with {@code follow} new output as the ring grows, until the microVM ends (a
 * last line says why), burrowd stops, or the client goes. Reading logs is no activity: it never
 * resumes a suspended microVM nor keeps one awake (docs/logs.md).
 */
final class LogRoutes {

    /** What the route sees of a microVM at one moment. */
    record Console(MicroVmState state, String stateReason, Optional<ConsoleRing> ring) {}

    /** Finds a microVM of the tenant (an unknown or another tenant's id throws the 404) and its ring. */
    interface Consoles {
        Console find(String tenantId, String id);
    }

    private final Consoles consoles;
    private final LogSettings settings;

    LogRoutes(Consoles consoles, LogSettings settings) {
        this.consoles = consoles;
        this.settings = settings;
    }

    void register(ApiServer api) {
        api.route("GET", "/v1/microvms/{id}/logs", this::logs);
    }

    private void logs(Call c) throws Exception {
        Queries.only(c, List.of("follow", "format"));
        boolean follow = Queries.bool(c, "follow");
        String format = c.query("format") == null ? "text" : c.query("format");
        if (!format.equals("text") && !format.equals("ndjson")) {
            throw ApiException.badRequest("format", "format must be text or ndjson; got '" + Queries.printable(format) + "'");
        }
        String tenant = c.tenant();
        String id = c.param("id");
        Console now = consoles.find(tenant, id);
        boolean ndjson = format.equals("ndjson");
        EndPoint endPoint = c.request.getConnectionMetaData().getConnection().getEndPoint();
        if (follow) {
            c.openStream();
            if (!ndjson) {
                endPoint.setIdleTimeout(settings.textFollowIdle().toMillis()); // no keep-alives in a text stream
            }
        }
        c.response.setStatus(200);
        c.response.getHeaders().put(HttpHeader.CONTENT_TYPE, ndjson ? "application/x-ndjson" : "text/plain");
        StreamOut out = c.stream();
        Sink sink = ndjson ? new NdjsonSink(out, settings.maxLineBytes()) : new TextSink(out);
        ByteBuffer buf = ByteBuffer.allocate(settings.readBytes());
        try (ConsoleTail tail = new ConsoleTail()) {
            long sent = 0;
            int n;
            while (sent < settings.snapshotBytes() && (n = pump(tail, now.ring(), buf, sink)) > 0) {
                sent += n;
            }
            sink.flush();
            if (follow) {
                out.commit(); // a follower sees the response start even when the ring is empty
                follow(c, tenant, id, now, tail, buf, sink);
            }
        } catch (StreamOut.Stalled stalled) {
            throw stalled; // the client stopped reading: Jetty aborts the call
        } catch (IOException clientGone) {
            // the follower disconnected
        } finally {
            if (follow && !ndjson) {
                endPoint.setIdleTimeout(c.limits.idleTimeout().toMillis());
            }
        }
    }

    private void follow(Call c, String tenant, String id, Console now, ConsoleTail tail, ByteBuffer buf, Sink sink)
            throws IOException, InterruptedException {
        long quietSince = System.nanoTime();
        Optional<ConsoleRing> ring = now.ring();
        while (true) {
            if (c.stopping()) {
                sink.note("burrowd is stopping; follow again to read on", null);
                return;
            }
            if (pump(tail, ring, buf, sink) > 0) {
                quietSince = System.nanoTime();
                continue;
            }
            sink.flush(); // the output paused: an unfinished line (a prompt) goes out as it is
            Console latest = consoles.find(tenant, id);
            ring = latest.ring().isPresent() ? latest.ring() : ring;
            if (latest.state().terminal()) {
                while (pump(tail, ring, buf, sink) > 0) {
                    // what the microVM printed last
                }
                sink.flush();
                sink.note("microVM " + id + " is " + latest.state()
                        + (latest.stateReason() == null ? "" : ": " + latest.stateReason()), latest.state());
                return;
            }
            if (System.nanoTime() - quietSince > settings.keepAlive().toNanos()) {
                sink.keepAlive(); // also how a gone client is noticed
                quietSince = System.nanoTime();
            }
            Thread.sleep(settings.poll());
        }
    }

    /** One bounded read from the ring into the sink; the number of bytes. */
    private static int pump(ConsoleTail tail, Optional<ConsoleRing> ring, ByteBuffer buf, Sink sink) throws IOException {
        if (ring.isEmpty()) {
            return 0;
        }
        buf.clear();
        int n = tail.read(ring.get(), buf);
        if (tail.skipped()) {
            sink.flush();
            sink.note("console output may be missing here: the ring rotated past this reader", null);
        }
        if (n > 0) {
            buf.flip();
            sink.output(buf);
        }
        return n;
    }

    /** Where console bytes and Burrow's own notes go: raw text, or NDJSON lines. */
    private interface Sink {
        void output(ByteBuffer bytes) throws IOException;

        /** An unfinished line goes out as it is. */
        void flush() throws IOException;

        /** Burrow's own line (a gap, the end and why); {@code state} when the microVM ended. */
        void note(String text, MicroVmState state) throws IOException;

        void keepAlive() throws IOException;
    }

    /** The raw bytes; Burrow's notes are lines of their own starting with {@code burrow: }. */
    private static final class TextSink implements Sink {
        private final StreamOut out;
        private boolean atLineStart = true;

        TextSink(StreamOut out) {
            this.out = out;
        }

        @Override
        public void output(ByteBuffer bytes) throws IOException {
            atLineStart = bytes.get(bytes.limit() - 1) == '\n';
            out.bytes(bytes);
        }

        @Override
        public void flush() {
        }

        @Override
        public void note(String text, MicroVmState state) throws IOException {
            String line = (atLineStart ? "" : "\n") + "burrow: " + text + "\n";
            out.bytes(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
            atLineStart = true;
        }

        @Override
        public void keepAlive() {
        }
    }

    /** One LogLine (schemas/log-line.json) per console line or piece of one. */
    private static final class NdjsonSink implements Sink {
        private final StreamOut out;
        private final LineSplitter lines;

        NdjsonSink(StreamOut out, int maxLineBytes) {
            this.out = out;
            this.lines = new LineSplitter(maxLineBytes);
        }

        @Override
        public void output(ByteBuffer bytes) throws IOException {
            for (String text : lines.feed(bytes)) {
                out.line(line("console", text));
            }
        }

        @Override
        public void flush() throws IOException {
            String rest = lines.flush();
            if (rest != null) {
                out.line(line("console", rest));
            }
        }

        @Override
        public void note(String text, MicroVmState state) throws IOException {
            Map<String, Object> l = line("burrow", text);
            if (state != null) {
                l.put("state", state.name());
            }
            out.line(l);
        }

        @Override
        public void keepAlive() throws IOException {
            out.keepAlive();
        }

        private static Map<String, Object> line(String stream, String text) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("time", Instant.now().toString());
            l.put("stream", stream);
            l.put("text", text);
            return l;
        }
    }
}
