package dev.burrow.vmm.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/**
 * A JMH-free micro bench of the decoder: tiny frames must not cost a copy of the rest of the
 * buffer each. Prints MB/s and frames/s for 1-byte and 64 KiB payloads, fed in 64 KiB reads
 * as the reader does; asserts only what it decoded.
 */
class FrameDecoderThroughputTest {

    private static final int READ = 65536;
    private static final long BUDGET_NANOS = 400_000_000L;

    @Test
    void tinyAndLargeFramesDecodeWithoutPerFrameCopiesOfTheBuffer() throws Exception {
        Result tiny = measure(1);
        Result large = measure(Frame.MAX_PAYLOAD);
        System.out.printf("decoder: 1-byte frames %.1f MB/s (%.0f frames/s); 64 KiB frames %.1f MB/s (%.0f frames/s)%n",
                tiny.mbPerSecond(), tiny.framesPerSecond(), large.mbPerSecond(), large.framesPerSecond());
        assertThat(tiny.frames).isPositive();
        assertThat(large.frames).isPositive();
    }

    private record Result(long frames, long wireBytes, long nanos) {
        double mbPerSecond() {
            return wireBytes / 1e6 / (nanos / 1e9);
        }

        double framesPerSecond() {
            return frames / (nanos / 1e9);
        }
    }

    private static Result measure(int payload) throws Exception {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        byte[] one = FrameEncoder.encode(new Frame(Frame.STDOUT, 1, new byte[payload]));
        while (wire.size() < 4 * READ) {
            wire.writeBytes(one);
        }
        byte[] bytes = wire.toByteArray();
        long perPass = bytes.length / one.length;
        long[] count = new long[1];
        FrameDecoder d = new FrameDecoder(f -> count[0]++, what -> { });
        for (int warm = 0; warm < 20; warm++) {
            feed(d, bytes);
        }
        count[0] = 0;
        long passes = 0;
        long start = System.nanoTime();
        long nanos;
        do {
            feed(d, bytes);
            passes++;
            nanos = System.nanoTime() - start;
        } while (nanos < BUDGET_NANOS);
        assertThat(count[0]).isEqualTo(passes * perPass);
        return new Result(count[0], passes * bytes.length, nanos);
    }

    private static void feed(FrameDecoder d, byte[] bytes) throws Exception {
        for (int off = 0; off < bytes.length; off += READ) {
            d.feed(bytes, off, Math.min(READ, bytes.length - off));
        }
    }
}
