package dev.burrow.daemon.egress.internal;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The DNS wire format (RFC 1035) as far as egress needs it, strict and bounded: a guest's query
 * must be one plain question (no compression pointers, labels ≤ 63, name ≤ 255 bytes on the
 * wire, at most one additional record: EDNS OPT); answers from upstreams are read with pointers
 * that must point backwards, so no loop is possible.
 */
public final class DnsWire {

    public static final int HEADER = 12;
    /** The largest UDP message a guest may send or get (EDNS sizes above it are not honoured). */
    public static final int MAX_UDP = 4096;
    /** The largest TCP message accepted from a guest (a query never needs more). */
    public static final int MAX_TCP_QUERY = 4096;
    public static final int MAX_WIRE_NAME = 255;
    public static final int TYPE_A = 1;
    public static final int TYPE_OPT = 41;
    public static final int CLASS_IN = 1;
    public static final int RCODE_FORMERR = 1;
    public static final int RCODE_SERVFAIL = 2;
    public static final int RCODE_NXDOMAIN = 3;
    public static final int RCODE_NOTIMP = 4;
    public static final int RCODE_REFUSED = 5;
    private static final int MAX_ANSWERS = 64;

    private DnsWire() {}

    /** A message that breaks the rules; {@code id} is known (≥ 0) when the header could be read. */
    public static final class FormatException extends Exception {
        public final int id;

        FormatException(int id, String message) {
            super(message);
            this.id = id;
        }
    }

    /**
     * One parsed query: {@code name} as written (not yet normalized), {@code questionEnd} the
     * offset after its question. {@code opcode} other than 0 is answered NOTIMP by the caller.
     */
    public record Query(int id, int opcode, boolean recursionDesired, String name, int type, int qclass, int questionEnd) {}

    public static Query parseQuery(byte[] m, int len) throws FormatException {
        if (len < HEADER) {
            throw new FormatException(-1, "shorter than a DNS header");
        }
        if (len > MAX_UDP || len > m.length) {
            throw new FormatException(-1, "longer than " + MAX_UDP + " bytes");
        }
        int id = u16(m, 0);
        int flags = u16(m, 2);
        if ((flags & 0x8000) != 0) {
            throw new FormatException(id, "a response, not a query");
        }
        int opcode = (flags >> 11) & 0xf;
        int qd = u16(m, 4);
        int an = u16(m, 6);
        int ns = u16(m, 8);
        int ar = u16(m, 10);
        if (qd != 1 || an != 0 || ns != 0 || ar > 1) {
            throw new FormatException(id, "a query must hold exactly one question and at most one additional record");
        }
        int pos = HEADER;
        StringBuilder name = new StringBuilder();
        int wire = 0;
        while (true) {
            if (pos >= len) {
                throw new FormatException(id, "the question name runs past the message");
            }
            int l = m[pos] & 0xff;
            if ((l & 0xc0) != 0) {
                throw new FormatException(id, "compression or extended labels in a question");
            }
            wire += l + 1;
            if (wire > MAX_WIRE_NAME) {
                throw new FormatException(id, "the question name is longer than 255 bytes");
            }
            pos++;
            if (l == 0) {
                break;
            }
            if (pos + l > len) {
                throw new FormatException(id, "a label runs past the message");
            }
            if (!name.isEmpty()) {
                name.append('.');
            }
            for (int i = 0; i < l; i++) {
                int c = m[pos + i] & 0xff;
                if (c == '.' || c < 0x21 || c > 0x7e) {
                    throw new FormatException(id, "a label holds a byte no host name has");
                }
                name.append((char) c);
            }
            pos += l;
        }
        if (pos + 4 > len) {
            throw new FormatException(id, "the question's type and class run past the message");
        }
        int type = u16(m, pos);
        int qclass = u16(m, pos + 2);
        pos += 4;
        int end = pos;
        if (ar == 1) {
            // only an EDNS OPT record: root name, type 41, then class, ttl, rdlength, rdata
            if (pos + 11 > len || m[pos] != 0 || u16(m, pos + 1) != TYPE_OPT) {
                throw new FormatException(id, "the additional record is not an EDNS OPT record");
            }
            int rdlen = u16(m, pos + 9);
            pos += 11 + rdlen;
            if (pos > len) {
                throw new FormatException(id, "the OPT record runs past the message");
            }
        }
        if (pos != len) {
            throw new FormatException(id, "bytes after the last record");
        }
        return new Query(id, opcode, (flags & 0x0100) != 0, name.toString(), type, qclass, end);
    }

    /** An answer with no records and {@code rcode}, echoing the question (when there is one) of {@code query}. */
    public static byte[] answer(byte[] query, Query q, int rcode) {
        int qlen = q == null ? 0 : q.questionEnd() - HEADER;
        byte[] out = new byte[HEADER + qlen];
        int id = q == null ? u16(query, 0) : q.id();
        out[0] = (byte) (id >> 8);
        out[1] = (byte) id;
        int opcode = q == null ? 0 : q.opcode();
        out[2] = (byte) (0x80 | (opcode << 3) | (q != null && q.recursionDesired() ? 1 : 0));
        out[3] = (byte) (0x80 | (rcode & 0xf));
        out[5] = (byte) (q == null ? 0 : 1);
        if (qlen > 0) {
            System.arraycopy(query, HEADER, out, HEADER, qlen);
        }
        return out;
    }

    /** An A query for {@code name} (a valid normalized name) with recursion desired. */
    public static byte[] aQuery(int id, String name) {
        byte[] ascii = name.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[HEADER + ascii.length + 2 + 4];
        out[0] = (byte) (id >> 8);
        out[1] = (byte) id;
        out[2] = 0x01; // RD
        out[5] = 1;
        int pos = HEADER;
        for (String label : name.split("\\.")) {
            out[pos++] = (byte) label.length();
            for (int i = 0; i < label.length(); i++) {
                out[pos++] = (byte) label.charAt(i);
            }
        }
        out[pos++] = 0;
        out[pos + 1] = TYPE_A;
        out[pos + 3] = CLASS_IN;
        return out;
    }

    /** Whether {@code m} is a response with {@code id} (what an upstream answer must be before it is used). */
    public static boolean isResponseTo(byte[] m, int len, int id) {
        return len >= HEADER && u16(m, 0) == id && (m[2] & 0x80) != 0;
    }

    public static int rcode(byte[] m) {
        return m[3] & 0xf;
    }

    /** The A records of an answer (any owner name: CNAME chains end in the records the resolver followed). */
    public static List<Inet4Address> aRecords(byte[] m, int len) throws FormatException {
        if (len < HEADER) {
            throw new FormatException(-1, "shorter than a DNS header");
        }
        int id = u16(m, 0);
        int qd = u16(m, 4);
        int an = Math.min(u16(m, 6), MAX_ANSWERS);
        int pos = HEADER;
        for (int i = 0; i < qd; i++) {
            pos = skipName(m, len, pos, id) + 4;
        }
        List<Inet4Address> out = new ArrayList<>();
        for (int i = 0; i < an; i++) {
            pos = skipName(m, len, pos, id);
            if (pos + 10 > len) {
                throw new FormatException(id, "a record runs past the message");
            }
            int type = u16(m, pos);
            int cls = u16(m, pos + 2);
            int rdlen = u16(m, pos + 8);
            pos += 10;
            if (pos + rdlen > len) {
                throw new FormatException(id, "record data runs past the message");
            }
            if (type == TYPE_A && cls == CLASS_IN && rdlen == 4) {
                try {
                    out.add((Inet4Address) InetAddress.getByAddress(new byte[] {m[pos], m[pos + 1], m[pos + 2], m[pos + 3]}));
                } catch (UnknownHostException impossible) {
                    throw new IllegalStateException(impossible);
                }
            }
            pos += rdlen;
        }
        return out;
    }

    /** The offset after a (possibly compressed) name at {@code pos}; a pointer must point before itself. */
    static int skipName(byte[] m, int len, int pos, int id) throws FormatException {
        int wire = 0;
        while (true) {
            if (pos >= len) {
                throw new FormatException(id, "a name runs past the message");
            }
            int l = m[pos] & 0xff;
            if ((l & 0xc0) == 0xc0) {
                if (pos + 1 >= len) {
                    throw new FormatException(id, "a pointer runs past the message");
                }
                int target = ((l & 0x3f) << 8) | (m[pos + 1] & 0xff);
                if (target >= pos) {
                    throw new FormatException(id, "a compression pointer that does not point backwards");
                }
                return pos + 2; // the rest of the name is elsewhere; the record continues here
            }
            if ((l & 0xc0) != 0) {
                throw new FormatException(id, "an extended label type");
            }
            wire += l + 1;
            if (wire > MAX_WIRE_NAME) {
                throw new FormatException(id, "a name longer than 255 bytes");
            }
            pos += 1 + l;
            if (l == 0) {
                return pos;
            }
        }
    }

    static int u16(byte[] m, int at) {
        return ((m[at] & 0xff) << 8) | (m[at + 1] & 0xff);
    }
}
