package dev.burrow.daemon.api;

import dev.burrow.daemon.store.Event;
import dev.burrow.daemon.store.EventLog;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;

/** {@code GET /v1/events?since=&follow=}: the tenant's events as NDJSON, optionally followed live. */
final class EventRoutes {

    private static final int FOLLOW_QUEUE = 10_000;

    private final EventLog events;

    EventRoutes(EventLog events) {
        this.events = events;
    }

    void register(ApiServer api) {
        api.route("GET", "/v1/events", this::events);
    }

    private void events(Call c) throws Exception {
        long since = number(c, "since", 0, 0, Long.MAX_VALUE);
        int limit = (int) number(c, "limit", 1000, 1, 10_000);
        boolean follow = "true".equals(c.query("follow"));
        LinkedBlockingQueue<Event> live = new LinkedBlockingQueue<>(FOLLOW_QUEUE);
        // subscribe before reading the backlog so nothing falls between the two
        AutoCloseable subscription = follow ? events.onAppend(e -> {
            if (c.tenant().equals(e.tenantId())) {
                live.offer(e); // a follower that cannot keep up loses events; it can resume with ?since=
            }
        }) : null;
        c.response.setStatus(200);
        c.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-ndjson");
        try (OutputStream out = Content.Sink.asOutputStream(c.response)) {
            long last = since;
            for (Event e : events.since(c.tenant(), since, limit)) {
                write(out, e);
                last = e.seq();
            }
            out.flush();
            while (follow) {
                Event e = live.poll(15, TimeUnit.SECONDS);
                if (e == null) {
                    out.write('\n'); // keep-alive; also how a gone client is noticed
                    out.flush();
                } else if (e.seq() > last) {
                    write(out, e);
                    out.flush();
                    last = e.seq();
                }
            }
        } catch (IOException clientGone) {
            // the follower disconnected
        } finally {
            if (subscription != null) {
                subscription.close();
            }
        }
    }

    private static void write(OutputStream out, Event e) throws IOException {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("seq", e.seq());
        line.put("time", e.time().toString());
        line.put("kind", e.kind());
        line.put("id", e.resourceId());
        line.put("from", e.from());
        line.put("to", e.to());
        line.put("reason", e.reason());
        line.put("requestId", e.requestId());
        out.write(Json.MAPPER.writeValueAsBytes(line));
        out.write('\n');
    }

    private static long number(Call c, String name, long def, long min, long max) {
        String v = c.query(name);
        if (v == null) {
            return def;
        }
        try {
            long n = Long.parseLong(v);
            if (n < min || n > max) {
                throw ApiException.badRequest(name, name + " must be between " + min + " and " + max + "; got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name, name + " must be a number; got " + v);
        }
    }
}
