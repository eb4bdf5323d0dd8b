package dev.burrow.vmm.agent.internal;

import java.util.Arrays;

/** One protocol frame (docs/PROTOCOL.md). The payload array is owned by the frame. */
public record Frame(int type, int stream, byte[] payload) {

    public static final int MAGIC = 0x31575242; // "BRW1" read little-endian
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 20;
    public static final int MAX_PAYLOAD = 65536;
    /**
     * What a data frame (STDIN, STDOUT, STDERR, DATA) costs in flow-control credit on top of its
     * payload, empty ones included: a window then bounds the frames in flight as well as the bytes,
     * and what a receiver keeps per queued frame (about 64 bytes of heap) stays under its cost.
     */
    public static final int DATA_FRAME_COST = 128;

    // control
    public static final int HELLO = 0x01;
    public static final int HELLO_ACK = 0x02;
    public static final int PING = 0x03;
    public static final int PONG = 0x04;
    public static final int ANNOUNCE = 0x05;
    public static final int ENTRYPOINT_EXIT = 0x06;
    public static final int LOG = 0x07;
    /** Guest CPU counters, additive in protocol 2: an older agent ignores STATS. */
    public static final int STATS = 0x08;
    public static final int STATS_REPLY = 0x09;
    // streams
    public static final int EXEC = 0x10;
    public static final int STARTED = 0x11;
    public static final int STDIN = 0x12;
    public static final int STDOUT = 0x13;
    public static final int STDERR = 0x14;
    public static final int EXIT = 0x15;
    public static final int SIGNAL = 0x16;
    public static final int WINDOW = 0x17;
    public static final int TCP_CONNECT = 0x18;
    public static final int CONNECTED = 0x19;
    public static final int DATA = 0x1A;
    public static final int CLOSE = 0x1B;
    /** Agent 0.4.0, host→guest on a terminal exec: {@code u16 cols, u16 rows}. */
    public static final int RESIZE = 0x1C;
    public static final int ERROR = 0x1F;

    public Frame {
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload.length " + payload.length + " > " + MAX_PAYLOAD);
        }
        if (type < 0 || type > 0xFF) {
            throw new IllegalArgumentException("type " + type + " is not a u8");
        }
    }

    /** The credit a data frame with this many payload bytes takes from a window. */
    public static long cost(int payloadBytes) {
        return (long) payloadBytes + DATA_FRAME_COST;
    }

    public static String typeName(int type) {
        return "0x" + Integer.toHexString(type);
    }

    public static Frame of(int type, int stream) {
        return new Frame(type, stream, new byte[0]);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && f.type == type && f.stream == stream && Arrays.equals(f.payload, payload);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * type + stream) + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "Frame[type=0x" + Integer.toHexString(type) + ", stream=" + stream + ", " + payload.length + " bytes]";
    }
}
