package dev.burrow.daemon.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * An NDJSON response written one line at a time, each write waiting for the client to take it:
 * a slow reader holds the producer back (nothing piles up here), and a reader that takes nothing
 * for the stall deadline ends the stream with {@link Stalled}.
 */
final class StreamOut {

    /** The client took nothing for the stall deadline; the connection is no longer usable. */
    static final class Stalled extends IOException {
        Stalled(Duration stall) {
            super("the client read nothing for " + stall.toSeconds() + " s");
        }
    }

    private final Response response;
    private final Duration stall;
    private boolean broken;
    /** The write that stalled, still pending: when the client takes it after all, a last line can follow. */
    private Callback.Completable stalledWrite;

    StreamOut(Response response, Duration stall) {
        this.response = response;
        this.stall = stall;
    }

    void line(Map<String, ?> frame) throws IOException {
        byte[] json = Json.MAPPER.writeValueAsBytes(frame);
        ByteBuffer buf = ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
        write(buf);
    }

    /** Raw bytes (a text stream); {@code buf} is the caller's again once this returns (not after a {@link Stalled}). */
    void bytes(ByteBuffer buf) throws IOException {
        write(buf);
    }

    /** A bare newline: keeps idle connections alive and notices a client that is gone. */
    void keepAlive() throws IOException {
        write(ByteBuffer.wrap(new byte[] {'\n'}));
    }

    /** Sends the status and headers (and whatever was written) now. */
    void commit() throws IOException {
        write(ByteBuffer.allocate(0));
    }

    /** Whether a final line can still be written (no write failed or stalled). */
    boolean usable() {
        return !broken;
    }

    /**
     * After a stall: when the client takes the stalled write within {@code grace}, writes
     * {@code frame} as the stream's last line and answers true; else false (the connection is
     * then unusable and the call must fail so that Jetty aborts it).
     */
    boolean lastLineAfterStall(Map<String, ?> frame, Duration grace) {
        if (stalledWrite == null) {
            return false;
        }
        try {
            stalledWrite.get(grace.toMillis(), TimeUnit.MILLISECONDS);
            stalledWrite = null;
            broken = false;
            line(frame);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            return false;
        }
    }

    private void write(ByteBuffer buf) throws IOException {
        if (broken) {
            throw new IOException("the stream is already broken");
        }
        Callback.Completable done = new Callback.Completable();
        response.write(false, buf, done);
        try {
            done.get(stall.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            broken = true;
            stalledWrite = done;
            throw new Stalled(stall);
        } catch (ExecutionException e) {
            broken = true;
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            broken = true;
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing", e);
        }
    }
}
