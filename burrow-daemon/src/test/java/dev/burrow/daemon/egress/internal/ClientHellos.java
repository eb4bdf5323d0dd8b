package dev.burrow.daemon.egress.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** TLS ClientHellos as clients send them, built field by field, for the parser tests. */
public final class ClientHellos {

    private ClientHellos() {}

    /** A ClientHello handshake message (type, 24-bit length, body) with an SNI for {@code name} (none when null). */
    public static byte[] handshake(String name) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {3, 3});
        body.writeBytes(new byte[32]); // random
        body.write(0); // session id
        body.writeBytes(new byte[] {0, 4, 0x13, 0x01, 0x13, 0x02}); // two cipher suites
        body.writeBytes(new byte[] {1, 0}); // null compression
        ByteArrayOutputStream ext = new ByteArrayOutputStream();
        ext.writeBytes(new byte[] {0, 43, 0, 3, 2, 3, 4}); // supported_versions: TLS 1.3
        if (name != null) {
            byte[] n = name.getBytes(StandardCharsets.US_ASCII);
            ext.writeBytes(u16(0));
            ext.writeBytes(u16(n.length + 5));
            ext.writeBytes(u16(n.length + 3));
            ext.write(0);
            ext.writeBytes(u16(n.length));
            ext.writeBytes(n);
        }
        body.writeBytes(u16(ext.size()));
        body.writeBytes(ext.toByteArray());
        byte[] b = body.toByteArray();
        ByteArrayOutputStream hs = new ByteArrayOutputStream();
        hs.write(1);
        hs.write(b.length >> 16);
        hs.write(b.length >> 8);
        hs.write(b.length);
        hs.writeBytes(b);
        return hs.toByteArray();
    }

    /** {@code handshake} in TLS records of at most {@code fragment} bytes each. */
    public static byte[] records(byte[] handshake, int fragment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int at = 0; at < handshake.length; at += fragment) {
            int n = Math.min(fragment, handshake.length - at);
            out.writeBytes(new byte[] {22, 3, 1});
            out.writeBytes(u16(n));
            out.write(handshake, at, n);
        }
        return out.toByteArray();
    }

    static byte[] u16(int v) {
        return new byte[] {(byte) (v >> 8), (byte) v};
    }
}
