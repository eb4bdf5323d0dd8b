package dev.burrow.vmm.agent.internal;

import dev.burrow.vmm.agent.AgentProtocolException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * Turns a hostile byte stream into frames (docs/PROTOCOL.md). Never holds more than one
 * maximum-size frame; bytes before a magic are skipped and counted; a frame with a bad
 * checksum is counted and scanning restarts one byte after its magic. A version other than 1
 * or a length over the limit is fatal: {@link #feed} throws and the decoder stays failed.
 */
public final class FrameDecoder {

    private final byte[] buf = new byte[Frame.HEADER_BYTES + Frame.MAX_PAYLOAD];
    private final ByteBuffer view = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    private final Consumer<Frame> sink;
    private final CorruptionListener corruption;
    private int len;
    private long skippedBytes;
    private long corruptFrames;
    private AgentProtocolException failure;

    /** Told about every skipped run of bytes and every corrupt frame, as it happens. */
    public interface CorruptionListener {
        void corrupt(String what);
    }

    public FrameDecoder(Consumer<Frame> sink, CorruptionListener corruption) {
        this.sink = sink;
        this.corruption = corruption;
    }

    public long skippedBytes() {
        return skippedBytes;
    }

    public long corruptFrames() {
        return corruptFrames;
    }

    public void feed(byte[] data, int off, int count) throws AgentProtocolException {
        if (failure != null) {
            throw failure;
        }
        while (count > 0) {
            int n = Math.min(count, buf.length - len);
            System.arraycopy(data, off, buf, len, n);
            len += n;
            off += n;
            count -= n;
            drain();
        }
    }

    private void drain() throws AgentProtocolException {
        while (true) {
            int at = findMagic();
            if (at < 0) {
                // keep a possible partial magic at the end
                int keep = Math.min(len, 3);
                discard(len - keep, true);
                return;
            }
            if (at > 0) {
                discard(at, true);
            }
            if (len < Frame.HEADER_BYTES) {
                return;
            }
            int version = buf[4] & 0xFF;
            long length = view.getInt(12) & 0xFFFFFFFFL;
            if (version != Frame.VERSION) {
                throw fail("agent spoke protocol version " + version + "; this host speaks " + Frame.VERSION);
            }
            if (length > Frame.MAX_PAYLOAD) {
                throw fail("agent sent a frame of " + length + " bytes; the limit is " + Frame.MAX_PAYLOAD);
            }
            int total = Frame.HEADER_BYTES + (int) length;
            if (len < total) {
                return;
            }
            CRC32 crc = new CRC32();
            crc.update(buf, 0, 16);
            crc.update(buf, Frame.HEADER_BYTES, (int) length);
            if ((int) crc.getValue() != view.getInt(16)) {
                corruptFrames++;
                corruption.corrupt("frame with a bad checksum (type 0x" + Integer.toHexString(buf[5] & 0xFF) + ")");
                discard(1, false);
                continue;
            }
            Frame frame = new Frame(buf[5] & 0xFF, view.getInt(8),
                    Arrays.copyOfRange(buf, Frame.HEADER_BYTES, total));
            discard(total, false);
            sink.accept(frame);
        }
    }

    private int findMagic() {
        for (int i = 0; i + 4 <= len; i++) {
            if (buf[i] == 0x42 && buf[i + 1] == 0x52 && buf[i + 2] == 0x57 && buf[i + 3] == 0x31) {
                return i;
            }
        }
        return -1;
    }

    private void discard(int n, boolean skipped) {
        if (n <= 0) {
            return;
        }
        if (skipped) {
            skippedBytes += n;
            corruption.corrupt(n + " bytes outside any frame");
        }
        System.arraycopy(buf, n, buf, 0, len - n);
        len -= n;
    }

    private AgentProtocolException fail(String message) {
        failure = new AgentProtocolException(message, true);
        return failure;
    }
}
