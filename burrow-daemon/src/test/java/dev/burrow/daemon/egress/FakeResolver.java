package dev.burrow.daemon.egress;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An upstream resolver for tests speaking real DNS wire format on udp and tcp: A records for
 * the names it is given (NXDOMAIN otherwise), every question it was asked kept in order.
 */
public final class FakeResolver implements AutoCloseable {

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Map<String, List<String>> records = new ConcurrentHashMap<>();
    /** The names asked, in order. */
    public final List<String> asked = new CopyOnWriteArrayList<>();

    public FakeResolver(InetAddress at) throws IOException {
        udp = new DatagramSocket(new InetSocketAddress(at, 0));
        tcp = new ServerSocket(udp.getLocalPort(), 50, at);
        Thread.ofVirtual().start(this::serveUdp);
        Thread.ofVirtual().start(this::serveTcp);
    }

    public FakeResolver answer(String name, String... addresses) {
        records.put(name, List.of(addresses));
        return this;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    private void serveUdp() {
        byte[] buf = new byte[4096];
        while (!udp.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                byte[] a = respond(buf, p.getLength());
                udp.send(new DatagramPacket(a, a.length, p.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            try (Socket s = tcp.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                byte[] q = new byte[in.readUnsignedShort()];
                in.readFully(q);
                byte[] a = respond(q, q.length);
                OutputStream out = s.getOutputStream();
                out.write(new byte[] {(byte) (a.length >> 8), (byte) a.length});
                out.write(a);
            } catch (IOException e) {
                if (tcp.isClosed()) {
                    return;
                }
            }
        }
    }

    /** The answer to a query: its header and question, then the A records (a name pointer each). */
    private byte[] respond(byte[] q, int len) {
        int pos = 12;
        StringBuilder name = new StringBuilder();
        while (q[pos] != 0) {
            int l = q[pos];
            if (!name.isEmpty()) {
                name.append('.');
            }
            name.append(new String(q, pos + 1, l, StandardCharsets.US_ASCII));
            pos += l + 1;
        }
        int end = pos + 5;
        int type = ((q[pos + 1] & 0xff) << 8) | (q[pos + 2] & 0xff);
        String n = name.toString().toLowerCase();
        asked.add(n);
        List<String> addresses = records.get(n);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(q, 0, end);
        byte[] a = out.toByteArray();
        a[2] = (byte) (0x80 | (q[2] & 0x01));
        a[3] = (byte) (0x80 | (addresses == null ? 3 : 0));
        a[7] = 0;
        a[11] = 0; // no OPT echoed
        List<String> answers = addresses == null || type != 1 ? List.of() : addresses;
        a[7] = (byte) answers.size();
        out.reset();
        out.writeBytes(a);
        for (String address : answers) {
            out.writeBytes(new byte[] {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4});
            for (String octet : address.split("\\.")) {
                out.write(Integer.parseInt(octet));
            }
        }
        return out.toByteArray();
    }

    @Override
    public void close() throws IOException {
        udp.close();
        tcp.close();
    }
}
