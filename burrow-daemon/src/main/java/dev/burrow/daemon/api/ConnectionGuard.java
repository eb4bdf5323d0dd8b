package dev.burrow.daemon.api;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Jetty's idle timeout does not stop: a client holding many connections, and a client
 * sending its request headers a byte at a time (each byte resets an idle timeout). Caps the open
 * connections of one client address (the one over the cap gets a 429 and is closed), and closes
 * a connection whose request headers are not complete {@link ApiLimits#headerDeadline} after the
 * scan first saw them partial, or that sent nothing at all for that long. {@link #scan} runs
 * every {@link #SCAN_PERIOD}, so a deadline is met within one period.
 */
final class ConnectionGuard implements Connection.Listener {

    static final Duration SCAN_PERIOD = Duration.ofMillis(500);
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    /** What the scan knows of one open connection. */
    private static final class Tracked {
        final InetAddress address;
        final long openedNanos;
        long partialSinceNanos = -1;
        long partialRequest = -1;

        Tracked(InetAddress address, long openedNanos) {
            this.address = address;
            this.openedNanos = openedNanos;
        }
    }

    private final int maxPerAddress;
    private final long headerDeadlineNanos;
    private final Map<Connection, Tracked> open = new ConcurrentHashMap<>();
    private final Map<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();

    ConnectionGuard(ApiLimits limits) {
        this.maxPerAddress = limits.maxConnectionsPerAddress();
        this.headerDeadlineNanos = limits.headerDeadline().toNanos();
    }

    @Override
    public void onOpened(Connection connection) {
        InetAddress address = connection.getEndPoint().getRemoteSocketAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        Tracked t = new Tracked(address, System.nanoTime());
        open.put(connection, t);
        if (address == null) {
            return;
        }
        int n = perAddress.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet();
        if (n > maxPerAddress) {
            // one line when an address reaches the cap, not one per refused connection (the log is no flood target)
            (n == maxPerAddress + 1 ? LOG.atWarn() : LOG.atDebug()).log("refusing connections from {}: it has {} open, the limit is {}",
                    address.getHostAddress(), n - 1, maxPerAddress);
            refuse(connection.getEndPoint(), n - 1);
        }
    }

    @Override
    public void onClosed(Connection connection) {
        Tracked t = open.remove(connection);
        if (t != null && t.address != null) {
            perAddress.computeIfPresent(t.address, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
        }
    }

    /** Open connections from {@code address} (for tests and the daemon's own view). */
    int openFrom(InetAddress address) {
        AtomicInteger n = perAddress.get(address);
        return n == null ? 0 : n.get();
    }

    /** One pass: closes connections past the header deadline. */
    void scan() {
        long now = System.nanoTime();
        open.forEach((connection, t) -> {
            if (!(connection instanceof HttpConnection http)) {
                return;
            }
            HttpParser parser = http.getParser();
            long requests = http.getMessagesIn();
            if (parser.isStart()) {
                t.partialSinceNanos = -1;
                if (requests == 0 && http.getBytesIn() == 0 && now - t.openedNanos > headerDeadlineNanos) {
                    close(connection, "it sent no request");
                }
            } else if (parser.inHeaderState()) {
                if (t.partialSinceNanos < 0 || t.partialRequest != requests) {
                    t.partialSinceNanos = now;
                    t.partialRequest = requests;
                } else if (now - t.partialSinceNanos > headerDeadlineNanos) {
                    close(connection, "its request headers were not complete in time");
                }
            } else {
                t.partialSinceNanos = -1;
            }
        });
    }

    private static void close(Connection connection, String why) {
        LOG.debug("closing a connection from {}: {}", connection.getEndPoint().getRemoteSocketAddress(), why);
        connection.getEndPoint().close();
    }

    private void refuse(EndPoint endPoint, int current) {
        String id = "req_" + UUID.randomUUID().toString().replace("-", "");
        byte[] body = Problems.body(429, "too-many-requests", "this address already has " + current
                + " open connections, the limit is " + maxPerAddress + "; reuse connections or close some", id, null,
                Map.of("quota", "connections", "limit", maxPerAddress, "current", current));
        byte[] head = ("HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/problem+json\r\nContent-Length: " + body.length
                + "\r\nRetry-After: 1\r\nX-Request-Id: " + id + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        endPoint.write(Callback.from(endPoint::close, x -> endPoint.close()), ByteBuffer.wrap(head), ByteBuffer.wrap(body));
    }
}
