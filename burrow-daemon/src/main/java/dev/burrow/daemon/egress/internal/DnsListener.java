package dev.burrow.daemon.egress.internal;

import dev.burrow.daemon.egress.EgressPolicy;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One microVM's DNS (udp and tcp with 2-byte lengths) on its host address: INTERNET forwards
 * every well-formed query to the upstreams; ALLOWLIST forwards only names on the allow list
 * and answers others REFUSED. Malformed queries get FORMERR (or nothing, when not even the
 * header is readable). A token bucket and an in-flight cap bound what one guest can make
 * burrowd do; queries beyond them are dropped and counted.
 */
public final class DnsListener {

    private static final Logger LOG = LoggerFactory.getLogger(DnsListener.class);
    public static final int PORT = 53;
    /** DNS over TCP: how long a guest's connection may stay quiet between queries. */
    private static final Duration TCP_IDLE = Duration.ofSeconds(10);

    /** How a query was answered: the bytes to send (null: nothing), and for tests what was decided. */
    public record Answer(byte[] bytes, boolean forwarded) {}

    private final Listeners listeners;
    private final EgressPolicy policy;
    private final DnsUpstream upstream;
    private final Recorder recorder;
    private final TokenBucket rate;
    private final Semaphore inFlight;
    private final Semaphore connections;
    private final AtomicLong dropped = new AtomicLong();

    public DnsListener(Listeners listeners, EgressPolicy policy, DnsUpstream upstream, Recorder recorder, TokenBucket rate,
                       int maxInFlight, Semaphore connections) {
        this.listeners = listeners;
        this.policy = policy;
        this.upstream = upstream;
        this.recorder = recorder;
        this.rate = rate;
        this.inFlight = new Semaphore(maxInFlight);
        this.connections = connections;
    }

    /** Binds udp and tcp {@code port} on the host address and serves them until the listeners close. */
    public void start(int port) throws IOException {
        InetSocketAddress at = new InetSocketAddress(listeners.hostAddress(), port);
        DatagramSocket udp = new DatagramSocket(null);
        udp.setReuseAddress(true);
        ServerSocket tcp = new ServerSocket();
        tcp.setReuseAddress(true);
        listeners.track(udp);
        listeners.track(tcp);
        udp.bind(at);
        tcp.bind(at);
        listeners.listen("dns-udp", () -> serveUdp(udp));
        listeners.listen("dns-tcp", () -> acceptTcp(tcp));
    }

    /** Queries dropped by the rate limit or the in-flight cap so far. */
    public long dropped() {
        return dropped.get();
    }

    private void serveUdp(DatagramSocket s) {
        byte[] buf = new byte[DnsWire.MAX_UDP + 1];
        while (!s.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (IOException e) {
                return; // closed
            }
            if (!listeners.fromPath(p.getAddress()) || p.getLength() > DnsWire.MAX_UDP) {
                continue;
            }
            if (!rate.take() || !inFlight.tryAcquire()) {
                dropped.incrementAndGet();
                continue;
            }
            byte[] query = new byte[p.getLength()];
            System.arraycopy(buf, 0, query, 0, query.length);
            var peer = p.getSocketAddress();
            Thread.ofVirtual().start(() -> {
                try {
                    Answer a = answer(query, query.length, false);
                    if (a.bytes() != null) {
                        s.send(new DatagramPacket(a.bytes(), a.bytes().length, peer));
                    }
                } catch (IOException e) {
                    LOG.debug("{}: a DNS answer could not be sent: {}", listeners.vmId(), e.toString());
                } finally {
                    inFlight.release();
                }
            });
        }
    }

    private void acceptTcp(ServerSocket server) {
        while (!server.isClosed()) {
            Socket c;
            try {
                c = server.accept();
            } catch (IOException e) {
                return;
            }
            if (!listeners.fromPath(c.getInetAddress()) || !connections.tryAcquire()) {
                Listeners.quietly(c);
                continue;
            }
            if (!listeners.track(c)) {
                connections.release();
                continue;
            }
            Thread.ofVirtual().start(() -> {
                try {
                    serveTcp(c);
                } catch (IOException e) {
                    LOG.debug("{}: DNS over TCP: {}", listeners.vmId(), e.toString());
                } finally {
                    listeners.untrack(c);
                    connections.release();
                }
            });
        }
    }

    private void serveTcp(Socket c) throws IOException {
        c.setSoTimeout((int) TCP_IDLE.toMillis());
        DataInputStream in = new DataInputStream(c.getInputStream());
        OutputStream out = c.getOutputStream();
        while (true) {
            int len;
            try {
                len = in.readUnsignedShort();
            } catch (EOFException | SocketTimeoutException e) {
                return;
            }
            if (len > DnsWire.MAX_TCP_QUERY) {
                return; // a guest that lies about a length loses the connection
            }
            byte[] q = new byte[len];
            in.readFully(q);
            if (!rate.take()) {
                dropped.incrementAndGet();
                return;
            }
            Answer a = answer(q, len, true);
            if (a.bytes() == null) {
                return;
            }
            out.write(new byte[] {(byte) (a.bytes().length >> 8), (byte) a.bytes().length});
            out.write(a.bytes());
            out.flush();
        }
    }

    /** Decides and answers one query (forwarding it when allowed). */
    public Answer answer(byte[] m, int len, boolean tcp) {
        DnsWire.Query q;
        try {
            q = DnsWire.parseQuery(m, len);
        } catch (DnsWire.FormatException e) {
            if (e.id < 0) {
                return new Answer(null, false);
            }
            return new Answer(DnsWire.answer(m, null, DnsWire.RCODE_FORMERR), false);
        }
        if (q.opcode() != 0) {
            return new Answer(DnsWire.answer(m, q, DnsWire.RCODE_NOTIMP), false);
        }
        Optional<String> name = Names.normalize(q.name());
        String shown = name.orElse(null);
        if (policy.mode() == EgressPolicy.Mode.ALLOWLIST) {
            if (name.isEmpty() || q.qclass() != DnsWire.CLASS_IN) {
                recorder.record("dns", shown, PORT, false, name.isEmpty() ? "not a valid host name" : "not class IN");
                return new Answer(DnsWire.answer(m, q, DnsWire.RCODE_REFUSED), false);
            }
            if (!policy.allows(name.get())) {
                recorder.record("dns", shown, PORT, false, "not on the allow list");
                return new Answer(DnsWire.answer(m, q, DnsWire.RCODE_REFUSED), false);
            }
            recorder.record("dns", shown, PORT, true, "on the allow list");
        } else {
            recorder.record("dns", shown, PORT, true, "egress internet");
        }
        try {
            byte[] a = upstream.exchange(m, len, tcp);
            return new Answer(a, true);
        } catch (IOException e) {
            LOG.debug("{}: forwarding a DNS query: {}", listeners.vmId(), e.getMessage());
            return new Answer(DnsWire.answer(m, q, DnsWire.RCODE_SERVFAIL), true);
        }
    }
}
