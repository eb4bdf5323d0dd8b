package dev.burrow.daemon.api;

import dev.burrow.daemon.store.Event;
import dev.burrow.daemon.store.EventLog;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;

/** {@code GET /v1/events?since=&follow=}: the tenant's events as NDJSON, optionally followed live. */
final class EventRoutes {

    /** Events a follower may fall behind by before it loses some (it resumes with ?since=). */
    private static final int FOLLOW_QUEUE = 1_000;
    private static final int DEFAULT_LIMIT = 1_000;
    private static final int MAX_LIMIT = 10_000;
    /** How often an idle follow stream sends a keep-alive newline (and looks at a stopping daemon). */
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    private static final Duration POLL = Duration.ofMillis(500);

    private final EventLog events;

    EventRoutes(EventLog events) {
        this.events = events;
    }

    void register(ApiServer api) {
        api.route("GET", "/v1/events", this::events);
    }

    private void events(Call c) throws Exception {
        Queries.only(c, List.of("since", "limit", "follow"));
        long since = Queries.number(c, "since", 0, 0, Long.MAX_VALUE);
        int limit = (int) Queries.number(c, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        boolean follow = Queries.bool(c, "follow");
        if (follow) {
            c.openStream();
        }
        LinkedBlockingQueue<Event> live = new LinkedBlockingQueue<>(FOLLOW_QUEUE);
        String tenant = c.tenant();
        // subscribe before reading the backlog so nothing falls between the two
        AutoCloseable subscription = follow ? events.onAppend(e -> {
            if (tenant.equals(e.tenantId())) {
                live.offer(e); // a follower that cannot keep up loses events; it can resume with ?since=
            }
        }) : null;
        c.response.setStatus(200);
        c.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-ndjson");
        StreamOut out = c.stream();
        try {
            long last = since;
            for (Event e : events.since(tenant, since, limit)) {
                out.line(line(e));
                last = e.seq();
            }
            out.commit(); // a follower sees the response start even before the first event
            long quietSince = System.nanoTime();
            while (follow && !c.stopping()) {
                Event e = live.poll(POLL.toMillis(), TimeUnit.MILLISECONDS);
                if (e == null) {
                    if (System.nanoTime() - quietSince > KEEP_ALIVE.toNanos()) {
                        out.keepAlive(); // also how a gone client is noticed
                        quietSince = System.nanoTime();
                    }
                } else if (e.seq() > last) {
                    out.line(line(e));
                    last = e.seq();
                    quietSince = System.nanoTime();
                }
            }
        } catch (StreamOut.Stalled stalled) {
            throw stalled;
        } catch (IOException clientGone) {
            // the follower disconnected
        } finally {
            if (subscription != null) {
                subscription.close();
            }
        }
    }

    private static Map<String, Object> line(Event e) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("seq", e.seq());
        line.put("time", e.time().toString());
        line.put("kind", e.kind());
        line.put("id", e.resourceId());
        line.put("from", e.from());
        line.put("to", e.to());
        line.put("reason", e.reason());
        line.put("requestId", e.requestId());
        return line;
    }
}
