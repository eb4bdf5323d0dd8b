package dev.burrow.daemon.properties;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/** HTTP exchanges whose waits and reads are bounded: headers within a deadline, a body read until a deadline or a size cap. */
final class BoundedReads implements AutoCloseable {

    /** How long a connection attempt may take. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final int READ_BUFFER = 1 << 16;

    private final ScheduledExecutorService closer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "prop-stream-closer");
        t.setDaemon(true);
        return t;
    });

    /** A scheduled close of a stream; closing this cancels it. */
    interface Deadline extends AutoCloseable {
        boolean fired();

        @Override
        void close();
    }

    static HttpClient newClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
    }

    /** Closes {@code in} after {@code after}, which ends a blocked read on it, unless the deadline is closed first. */
    Deadline closeAfter(InputStream in, Duration after) {
        AtomicBoolean fired = new AtomicBoolean();
        ScheduledFuture<?> task = closer.schedule(() -> {
            fired.set(true);
            closeQuietly(in);
        }, after.toMillis(), TimeUnit.MILLISECONDS);
        return new Deadline() {
            @Override
            public boolean fired() {
                return fired.get();
            }

            @Override
            public void close() {
                task.cancel(false);
            }
        };
    }

    /**
     * Sends {@code request} and reads the answer: an open-ended one for {@link Settings#OPEN_STREAM_WINDOW}, any other
     * until it ends or {@link Settings#ANSWER_DEADLINE} passes; at most {@link Settings#MAX_RESPONSE_BYTES}.
     * A connection that fails throws {@link IOException}.
     */
    Exchange exchange(HttpClient client, HttpRequest request, String concretePath, boolean openEnded) throws Exception {
        HttpResponse<InputStream> response;
        try {
            response = client.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream())
                    .get(Settings.ANSWER_DEADLINE.toMillis() + CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return new Exchange(concretePath, -1, null, new byte[0], false, true, null);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof HttpTimeoutException) {
                return new Exchange(concretePath, -1, null, new byte[0], false, true, null);
            }
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
        InputStream in = response.body();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean capped = false;
        boolean fired;
        try (Deadline deadline = closeAfter(in, openEnded ? Settings.OPEN_STREAM_WINDOW : Settings.ANSWER_DEADLINE); in) {
            try {
                byte[] buf = new byte[READ_BUFFER];
                for (int n = in.read(buf); n >= 0 && !capped; n = in.read(buf)) {
                    out.write(buf, 0, Math.min(n, Settings.MAX_RESPONSE_BYTES - out.size()));
                    capped = out.size() >= Settings.MAX_RESPONSE_BYTES;
                }
            } catch (IOException e) {
                if (!deadline.fired()) {
                    throw e;
                }
            }
            fired = deadline.fired();
        }
        return new Exchange(concretePath, response.statusCode(), response.headers(), out.toByteArray(), capped || (fired && openEnded),
                fired && !openEnded, null);
    }

    static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // the reader sees the stream end either way
        }
    }

    @Override
    public void close() {
        closer.shutdownNow();
    }
}
