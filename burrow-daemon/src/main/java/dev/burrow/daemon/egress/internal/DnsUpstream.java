package dev.burrow.daemon.egress.internal;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;

/**
 * The resolvers burrowd forwards to (the host's, reachable from burrowd though not from a
 * guest), tried in order; each gets {@code timeout}. Answers must be responses carrying the
 * query's id; anything else on the socket is ignored until the time is up.
 */
public final class DnsUpstream {

    private static final int MAX_TCP_ANSWER = 65535;
    private final List<InetSocketAddress> servers;
    private final Duration timeout;
    private final SecureRandom random = new SecureRandom();

    public DnsUpstream(List<InetSocketAddress> servers, Duration timeout) {
        this.servers = List.copyOf(servers);
        this.timeout = timeout;
    }

    /** The answer of the first upstream that gives one to {@code query[0, len)} (over TCP when {@code tcp}). */
    public byte[] exchange(byte[] query, int len, boolean tcp) throws IOException {
        if (servers.isEmpty()) {
            throw new IOException("no upstream resolver is configured (BURROW_EGRESS_DNS_UPSTREAMS, or nameservers in /etc/resolv.conf)");
        }
        int id = DnsWire.u16(query, 0);
        IOException last = null;
        for (InetSocketAddress server : servers) {
            try {
                return tcp ? overTcp(server, query, len, id) : overUdp(server, query, len, id);
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    private byte[] overUdp(InetSocketAddress server, byte[] query, int len, int id) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(server);
            s.send(new DatagramPacket(query, len));
            long deadline = System.nanoTime() + timeout.toNanos();
            byte[] buf = new byte[DnsWire.MAX_UDP + 1];
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw new SocketTimeoutException(server + " did not answer within " + timeout.toMillis() + " ms");
                }
                s.setSoTimeout((int) left);
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                if (p.getLength() <= DnsWire.MAX_UDP && DnsWire.isResponseTo(buf, p.getLength(), id)) {
                    byte[] out = new byte[p.getLength()];
                    System.arraycopy(buf, 0, out, 0, out.length);
                    return out;
                }
            }
        }
    }

    private byte[] overTcp(InetSocketAddress server, byte[] query, int len, int id) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(server, (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {(byte) (len >> 8), (byte) len});
            out.write(query, 0, len);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int n = in.readUnsignedShort();
            if (n > MAX_TCP_ANSWER || n < DnsWire.HEADER) {
                throw new IOException(server + " sent a TCP answer of " + n + " bytes");
            }
            byte[] answer = new byte[n];
            in.readFully(answer);
            if (!DnsWire.isResponseTo(answer, n, id)) {
                throw new IOException(server + " answered another query");
            }
            return answer;
        }
    }

    /** The A records of {@code name} (a normalized name); empty when it has none. */
    public List<Inet4Address> resolveA(String name) throws IOException {
        int id = random.nextInt(1 << 16);
        byte[] q = DnsWire.aQuery(id, name);
        byte[] a = exchange(q, q.length, false);
        if ((a[2] & 0x02) != 0) {
            a = exchange(q, q.length, true); // truncated: ask again over TCP
        }
        int rcode = DnsWire.rcode(a);
        if (rcode == DnsWire.RCODE_NXDOMAIN) {
            return List.of();
        }
        if (rcode != 0) {
            throw new IOException("the resolver answered rcode " + rcode);
        }
        try {
            return DnsWire.aRecords(a, a.length);
        } catch (DnsWire.FormatException e) {
            throw new IOException("the resolver's answer is malformed: " + e.getMessage());
        }
    }
}
