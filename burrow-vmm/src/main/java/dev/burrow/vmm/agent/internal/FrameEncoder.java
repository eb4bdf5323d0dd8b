package dev.burrow.vmm.agent.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

/** Serialises frames into their wire form. Stateless and thread-safe. */
public final class FrameEncoder {

    private FrameEncoder() {}

    public static byte[] encode(Frame frame) {
        byte[] payload = frame.payload();
        ByteBuffer buf = ByteBuffer.allocate(Frame.HEADER_BYTES + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(Frame.MAGIC)
                .put((byte) Frame.VERSION)
                .put((byte) frame.type())
                .putShort((short) 0)
                .putInt(frame.stream())
                .putInt(payload.length);
        CRC32 crc = new CRC32();
        crc.update(buf.array(), 0, 16);
        crc.update(payload);
        buf.putInt((int) crc.getValue());
        buf.put(payload);
        return buf.array();
    }
}
