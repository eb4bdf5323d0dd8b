package dev.burrow.daemon.egress.internal;

import dev.burrow.daemon.egress.EgressPolicy;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ALLOWLIST microVM's proxy: its tcp 80 and 443 arrive here (the engine redirects them).
 * The name comes from the request's Host (80) or the ClientHello's SNI (443) — never from
 * where the guest was connecting — and must be on the allow list; burrowd resolves it itself
 * and connects to its first address outside the blocked ranges, replays what it read, then
 * splices both ways. Every connection is one recorded decision.
 */
public final class AllowlistProxy {

    private static final Logger LOG = LoggerFactory.getLogger(AllowlistProxy.class);
    public static final int HTTP = 80;
    public static final int TLS = 443;

    /** The proxy's bounds (see EgressSettings). */
    public record Limits(int maxPrefixBytes, Duration prefixTimeout, Duration connectTimeout, Duration idleTimeout, int bufferBytes) {}

    private final Listeners listeners;
    private final EgressPolicy policy;
    private final DnsUpstream resolver;
    private final AddressRanges blocked;
    private final Recorder recorder;
    private final Limits limits;
    private final Semaphore connections;
    /** Where an allowed name's server is reached: its port on 80/443 (tests point it elsewhere). */
    private final int httpServerPort;
    private final int tlsServerPort;

    public AllowlistProxy(Listeners listeners, EgressPolicy policy, DnsUpstream resolver, AddressRanges blocked, Recorder recorder,
                          Limits limits, Semaphore connections, int httpServerPort, int tlsServerPort) {
        this.listeners = listeners;
        this.policy = policy;
        this.resolver = resolver;
        this.blocked = blocked;
        this.recorder = recorder;
        this.limits = limits;
        this.connections = connections;
        this.httpServerPort = httpServerPort;
        this.tlsServerPort = tlsServerPort;
    }

    /** Listens on the host address's {@code httpPort} and {@code tlsPort} until the listeners close. */
    public void start(int httpPort, int tlsPort) throws IOException {
        for (boolean tls : new boolean[] {false, true}) {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            listeners.track(s);
            s.bind(new InetSocketAddress(listeners.hostAddress(), tls ? tlsPort : httpPort));
            listeners.listen(tls ? "proxy-tls" : "proxy-http", () -> accept(s, tls));
        }
    }

    private void accept(ServerSocket server, boolean tls) {
        while (!server.isClosed()) {
            Socket guest;
            try {
                guest = server.accept();
            } catch (IOException e) {
                return;
            }
            if (!listeners.fromPath(guest.getInetAddress())) {
                Listeners.quietly(guest);
                continue;
            }
            if (!connections.tryAcquire()) {
                recorder.record(tls ? "tls" : "http", null, tls ? TLS : HTTP, false, "too many connections at once");
                Listeners.quietly(guest);
                continue;
            }
            if (!listeners.track(guest)) {
                connections.release();
                continue;
            }
            Thread.ofVirtual().start(() -> {
                try {
                    serve(guest, tls);
                } catch (IOException | RuntimeException e) {
                    LOG.debug("{}: proxied connection: {}", listeners.vmId(), e.toString());
                } finally {
                    listeners.untrack(guest);
                    connections.release();
                }
            });
        }
    }

    private void serve(Socket guest, boolean tls) throws IOException {
        String protocol = tls ? "tls" : "http";
        int port = tls ? TLS : HTTP;
        Prefix prefix = new Prefix(guest.getInputStream(), limits.maxPrefixBytes(),
                System.nanoTime() + limits.prefixTimeout().toNanos(), ms -> soTimeout(guest, ms));
        String raw;
        try {
            raw = tls ? TlsHello.read(prefix).orElse(null) : HttpHead.readHost(prefix);
        } catch (TlsHello.Malformed | HttpHead.Malformed | Prefix.Cut e) {
            recorder.record(protocol, null, port, false, (tls ? "not a valid ClientHello: " : "not a valid request head: ") + e.getMessage());
            refuse(guest, tls, 400, "Bad Request", "burrow egress: " + e.getMessage());
            return;
        } catch (EOFException e) {
            recorder.record(protocol, null, port, false, "the connection ended before a name");
            return;
        }
        Target t = target(raw, tls);
        if (t.denied == null && !policy.allows(t.name)) {
            t = new Target(null, t.name, "not on the allow list");
        }
        if (t.denied != null) {
            recorder.record(protocol, t.shown, port, false, t.denied);
            refuse(guest, tls, 403, "Forbidden", "burrow egress: " + (t.shown == null ? "the request" : t.shown) + " is denied: " + t.denied);
            return;
        }
        List<Inet4Address> addresses;
        try {
            addresses = resolver.resolveA(t.name);
        } catch (IOException e) {
            recorder.record(protocol, t.name, port, false, "could not be resolved: " + e.getMessage());
            refuse(guest, tls, 502, "Bad Gateway", "burrow egress: " + t.name + " could not be resolved");
            return;
        }
        Optional<Inet4Address> to = addresses.stream().filter(a -> !blocked.blocks(a)).findFirst();
        if (to.isEmpty()) {
            String why = addresses.isEmpty() ? "has no IPv4 address" : "resolves only into blocked ranges";
            recorder.record(protocol, t.name, port, false, why);
            refuse(guest, tls, 403, "Forbidden", "burrow egress: " + t.name + " " + why);
            return;
        }
        Socket server = new Socket();
        if (!listeners.track(server)) {
            return;
        }
        try {
            server.connect(new InetSocketAddress(to.get(), tls ? tlsServerPort : httpServerPort), (int) limits.connectTimeout().toMillis());
        } catch (IOException e) {
            recorder.record(protocol, t.name, port, false, "on the allow list, but " + to.get().getHostAddress() + " did not accept: "
                    + e.getMessage());
            refuse(guest, tls, 502, "Bad Gateway", "burrow egress: " + t.name + " did not accept the connection");
            listeners.untrack(server);
            return;
        }
        recorder.record(protocol, t.name, port, true, "on the allow list (" + to.get().getHostAddress() + ")");
        try {
            server.getOutputStream().write(prefix.bytes());
            server.getOutputStream().flush();
            new Splice(guest, server, limits.idleTimeout(), limits.bufferBytes()).run();
        } finally {
            listeners.untrack(server);
        }
    }

    /** The name to check, or why there is none. */
    private record Target(String name, String shown, String denied) {}

    private static Target target(String raw, boolean tls) {
        if (raw == null) {
            return new Target(null, null, "no server name (SNI) in the ClientHello");
        }
        String host = raw;
        if (!tls) {
            // Host: name[:port]; an IPv6 literal is bracketed
            int close = host.lastIndexOf(']');
            int colon = host.lastIndexOf(':');
            if (colon > close) {
                String p = host.substring(colon + 1);
                host = host.substring(0, colon);
                if (!p.equals(Integer.toString(HTTP))) {
                    return new Target(null, Names.printable(raw), "a Host with another port than 80");
                }
            }
        }
        if (Names.isIpLiteral(host)) {
            return new Target(null, Names.printable(host), "an IP address, not a name");
        }
        Optional<String> name = Names.normalize(host);
        if (name.isEmpty()) {
            return new Target(null, null, "not a valid host name");
        }
        return new Target(name.get(), name.get(), null);
    }

    /** Tells an HTTP client why (a TLS client just sees the connection close). */
    private static void refuse(Socket guest, boolean tls, int status, String reason, String body) {
        if (tls) {
            return;
        }
        byte[] b = (body + "\n").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + b.length
                + "\r\nConnection: close\r\n\r\n";
        try {
            OutputStream out = guest.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
        } catch (IOException e) {
            LOG.debug("refusing a proxied request: {}", e.toString());
        }
    }

    private static void soTimeout(Socket s, int ms) {
        try {
            s.setSoTimeout(ms);
        } catch (SocketException e) {
            // the socket closed: the next read says so
        }
    }

    /** Copies both ways with bounded buffers until both ends are done or both stayed quiet for the idle timeout. */
    static final class Splice {
        private static final int POLL_MS = 1000;
        private final Socket a;
        private final Socket b;
        private final long idleNanos;
        private final int bufferBytes;
        private volatile long lastActivity = System.nanoTime();

        Splice(Socket a, Socket b, Duration idle, int bufferBytes) {
            this.a = a;
            this.b = b;
            this.idleNanos = idle.toNanos();
            this.bufferBytes = bufferBytes;
        }

        void run() throws IOException {
            int poll = (int) Math.max(1, Math.min(POLL_MS, idleNanos / 1_000_000));
            a.setSoTimeout(poll);
            b.setSoTimeout(poll);
            Thread back = Thread.ofVirtual().start(() -> copy(b, a));
            copy(a, b);
            try {
                back.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void copy(Socket from, Socket to) {
            byte[] buf = new byte[bufferBytes];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                    int n;
                    try {
                        n = in.read(buf);
                    } catch (SocketTimeoutException quiet) {
                        if (System.nanoTime() - lastActivity > idleNanos) {
                            break;
                        }
                        continue;
                    }
                    if (n < 0) {
                        to.shutdownOutput(); // a half-close passes through
                        return;
                    }
                    lastActivity = System.nanoTime();
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // either end went away
            }
            Listeners.quietly(a);
            Listeners.quietly(b);
        }
    }
}
