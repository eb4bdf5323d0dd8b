package dev.burrow.vmm.agent.internal;

import dev.burrow.vmm.agent.AgentProtocolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * Turns a hostile byte stream into frames (docs/PROTOCOL.md). Never holds more than one
 * maximum-size frame; bytes before a magic are skipped and counted; a frame with a bad
 * checksum is counted and scanning restarts one byte after its magic. A version other than 1
 * or a length over the limit is fatal: {@link #feed} throws and the decoder stays failed.
 *
 * <p>The buffer has a read and a write index: a decoded frame only moves the read index, and
 * the unread tail (less than one frame) is moved to the front at most once per read.
 */
public final class FrameDecoder {

    private final byte[] buf = new byte[Frame.HEADER_BYTES + Frame.MAX_PAYLOAD];
    private final ByteBuffer view = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32 crc = new CRC32();
    private final Consumer<Frame> sink;
    private final CorruptionListener corruption;
    private int rd;
    private int wr;
    private long skippedBytes;
    private long corruptFrames;
    private volatile long frames; // one writer (the reader); read by others for accounting
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

    /** Good frames handed on so far. */
    public long frames() {
        return frames;
    }

    /** Bytes held that do not yet make a whole frame (at most one maximum-size frame). */
    public int buffered() {
        return wr - rd;
    }

    /**
     * One read from {@code channel} straight into the buffer, then every whole frame is handed
     * on. Returns the bytes read, or -1 at end of stream.
     */
    public int readFrom(ReadableByteChannel channel) throws IOException, AgentProtocolException {
        if (failure != null) {
            throw failure;
        }
        compact();
        view.limit(buf.length).position(wr);
        int n = channel.read(view);
        if (n < 0) {
            return -1;
        }
        wr += n;
        drain();
        return n;
    }

    /** Decodes {@code count} bytes; returns the frames handed on. */
    public int feed(byte[] data, int off, int count) throws AgentProtocolException {
        if (failure != null) {
            throw failure;
        }
        int frames = 0;
        while (count > 0) {
            compact();
            int n = Math.min(count, buf.length - wr);
            System.arraycopy(data, off, buf, wr, n);
            wr += n;
            off += n;
            count -= n;
            frames += drain();
        }
        return frames;
    }

    private void compact() {
        if (rd == 0) {
            return;
        }
        System.arraycopy(buf, rd, buf, 0, wr - rd);
        wr -= rd;
        rd = 0;
    }

    private int drain() throws AgentProtocolException {
        int frames = 0;
        while (true) {
            int at = findMagic();
            if (at < 0) {
                // keep a possible partial magic at the end
                skip(wr - rd - Math.min(wr - rd, 3));
                return frames;
            }
            skip(at - rd);
            if (wr - rd < Frame.HEADER_BYTES) {
                return frames;
            }
            int version = buf[rd + 4] & 0xFF;
            long length = view.getInt(rd + 12) & 0xFFFFFFFFL;
            if (version != Frame.VERSION) {
                throw fail("agent spoke frame version " + version + "; this host speaks " + Frame.VERSION);
            }
            if (length > Frame.MAX_PAYLOAD) {
                throw fail("agent sent a frame of " + length + " bytes; the limit is " + Frame.MAX_PAYLOAD);
            }
            int total = Frame.HEADER_BYTES + (int) length;
            if (wr - rd < total) {
                return frames;
            }
            crc.reset();
            crc.update(buf, rd, 16);
            crc.update(buf, rd + Frame.HEADER_BYTES, (int) length);
            if ((int) crc.getValue() != view.getInt(rd + 16)) {
                corruptFrames++;
                corruption.corrupt("frame with a bad checksum (type 0x" + Integer.toHexString(buf[rd + 5] & 0xFF) + ")");
                rd++;
                continue;
            }
            Frame frame = new Frame(buf[rd + 5] & 0xFF, view.getInt(rd + 8),
                    Arrays.copyOfRange(buf, rd + Frame.HEADER_BYTES, rd + total));
            rd += total;
            frames++;
            this.frames++;
            sink.accept(frame);
        }
    }

    private int findMagic() {
        for (int i = rd; i + 4 <= wr; i++) {
            if (buf[i] == 0x42 && buf[i + 1] == 0x52 && buf[i + 2] == 0x57 && buf[i + 3] == 0x31) {
                return i;
            }
        }
        return -1;
    }

    private void skip(int n) {
        if (n <= 0) {
            return;
        }
        skippedBytes += n;
        rd += n;
        corruption.corrupt(n + " bytes outside any frame");
    }

    private AgentProtocolException fail(String message) {
        failure = new AgentProtocolException(message, true);
        return failure;
    }
}
