package dev.burrow.daemon.egress.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The server name (SNI) of a TLS ClientHello, read strictly: handshake records (type 22,
 * version 3.x, ≤ 2^14 bytes each) until the whole ClientHello (≤ {@value #MAX_HELLO} bytes,
 * possibly spread over several records and arriving a byte at a time), every length checked
 * against what contains it.
 */
public final class TlsHello {

    public static final int MAX_HELLO = 16 * 1024;
    private static final int MAX_RECORD = 1 << 14;
    private static final int RECORD_HANDSHAKE = 22;
    private static final int CLIENT_HELLO = 1;
    private static final int EXT_SERVER_NAME = 0;
    private static final int HOST_NAME = 0;

    private TlsHello() {}

    /** A ClientHello that breaks the format. */
    public static final class Malformed extends IOException {
        public Malformed(String message) {
            super(message);
        }
    }

    /** Reads the ClientHello from {@code in} (its bytes stay in it for the replay) and returns its SNI host name, if any. */
    public static Optional<String> read(Prefix in) throws IOException {
        byte[] hs = new byte[0];
        int need = -1;
        while (need < 0 || hs.length < need) {
            byte[] h = in.exactly(5);
            if ((h[0] & 0xff) != RECORD_HANDSHAKE || (h[1] & 0xff) != 3) {
                throw new Malformed("not a TLS handshake record");
            }
            int len = ((h[3] & 0xff) << 8) | (h[4] & 0xff);
            if (len == 0 || len > MAX_RECORD) {
                throw new Malformed("a TLS record of " + len + " bytes");
            }
            byte[] frag = in.exactly(len);
            byte[] joined = new byte[hs.length + len];
            System.arraycopy(hs, 0, joined, 0, hs.length);
            System.arraycopy(frag, 0, joined, hs.length, len);
            hs = joined;
            if (need < 0 && hs.length >= 4) {
                if ((hs[0] & 0xff) != CLIENT_HELLO) {
                    throw new Malformed("the first handshake message is not a ClientHello");
                }
                int body = ((hs[1] & 0xff) << 16) | ((hs[2] & 0xff) << 8) | (hs[3] & 0xff);
                if (body > MAX_HELLO) {
                    throw new Malformed("a ClientHello of " + body + " bytes (the limit is " + MAX_HELLO + ")");
                }
                need = 4 + body;
            }
        }
        return serverName(hs, 4, need);
    }

    /** The host_name of the server_name extension of the ClientHello body in {@code b[from, to)}. */
    static Optional<String> serverName(byte[] b, int from, int to) throws Malformed {
        Cursor c = new Cursor(b, from, to);
        c.skip(2 + 32); // legacy_version, random
        c.skip(c.u8("session_id", 32));
        int suites = c.u16();
        if (suites < 2 || suites % 2 != 0) {
            throw new Malformed("cipher_suites of " + suites + " bytes");
        }
        c.skip(suites);
        int compression = c.u8("compression_methods", 255);
        if (compression < 1) {
            throw new Malformed("no compression method");
        }
        c.skip(compression);
        if (c.pos == to) {
            return Optional.empty(); // no extensions
        }
        int extLen = c.u16();
        if (c.pos + extLen != to) {
            throw new Malformed("the extensions' length does not match the ClientHello");
        }
        String name = null;
        boolean seen = false;
        while (c.pos < to) {
            int type = c.u16();
            int len = c.u16();
            Cursor e = c.sub(len);
            if (type == EXT_SERVER_NAME) {
                if (seen) {
                    throw new Malformed("two server_name extensions");
                }
                seen = true;
                name = hostName(e);
            }
        }
        return Optional.ofNullable(name);
    }

    private static String hostName(Cursor e) throws Malformed {
        int listLen = e.u16();
        if (e.pos + listLen != e.end || listLen == 0) {
            throw new Malformed("the server_name list's length does not match its extension");
        }
        String name = null;
        while (e.pos < e.end) {
            int type = e.u8("name_type", 255);
            int len = e.u16();
            Cursor n = e.sub(len);
            if (type == HOST_NAME) {
                if (name != null) {
                    throw new Malformed("two host names in server_name");
                }
                if (len == 0) {
                    throw new Malformed("an empty host name");
                }
                for (int i = n.pos; i < n.end; i++) {
                    if (n.b[i] < 0x21 || n.b[i] > 0x7e) {
                        throw new Malformed("a host name with a byte no host name has");
                    }
                }
                name = new String(n.b, n.pos, len, StandardCharsets.US_ASCII);
            }
        }
        return name;
    }

    /** A bounded view: every read checks it stays inside {@code [pos, end)}. */
    private static final class Cursor {
        final byte[] b;
        int pos;
        final int end;

        Cursor(byte[] b, int pos, int end) {
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        void skip(int n) throws Malformed {
            if (n < 0 || pos + n > end) {
                throw new Malformed("a length runs past its container");
            }
            pos += n;
        }

        int u8(String what, int max) throws Malformed {
            skip(1);
            int v = b[pos - 1] & 0xff;
            if (v > max) {
                throw new Malformed(what + " of " + v + " bytes");
            }
            return v;
        }

        int u16() throws Malformed {
            skip(2);
            return ((b[pos - 2] & 0xff) << 8) | (b[pos - 1] & 0xff);
        }

        Cursor sub(int len) throws Malformed {
            int start = pos;
            skip(len);
            return new Cursor(b, start, start + len);
        }
    }
}
