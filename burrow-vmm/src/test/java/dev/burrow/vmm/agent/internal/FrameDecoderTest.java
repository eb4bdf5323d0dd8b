package dev.burrow.vmm.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.agent.AgentProtocolException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {

    // jqwik may reuse one instance for every try of a property: each try makes its own decoder
    private List<Frame> frames;
    private FrameDecoder decoder;

    private void fresh() {
        frames = new ArrayList<>();
        decoder = new FrameDecoder(frames::add, what -> { });
    }

    FrameDecoderTest() {
        fresh();
    }

    @Provide
    Arbitrary<List<Frame>> frameLists() {
        return frames().list().ofMaxSize(20);
    }

    @Provide
    Arbitrary<Frame> frames() {
        return Combinators.combine(
                Arbitraries.integers().between(0, 255),
                Arbitraries.integers(),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(3000)).as(Frame::new);
    }

    @Property(tries = 300)
    void everyFrameSurvivesEncodingAndDecodingInAnyChunking(@ForAll("frameLists") List<Frame> sent, @ForAll @IntRange(min = 1, max = 5000) int chunk) throws Exception {
        fresh();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        sent.forEach(f -> wire.writeBytes(FrameEncoder.encode(f)));
        byte[] bytes = wire.toByteArray();
        for (int off = 0; off < bytes.length; off += chunk) {
            decoder.feed(bytes, off, Math.min(chunk, bytes.length - off));
        }
        assertThat(frames).isEqualTo(sent);
        assertThat(decoder.corruptFrames()).isZero();
        assertThat(decoder.skippedBytes()).isZero();
    }

    @Property(tries = 300)
    void garbageBetweenFramesIsSkippedAndEveryFrameStillArrives(@ForAll("frameLists") List<Frame> sent, @ForAll long seed) throws Exception {
        fresh();
        Random rnd = new Random(seed);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (Frame f : sent) {
            byte[] junk = new byte[rnd.nextInt(200)];
            rnd.nextBytes(junk);
            for (int i = 0; i < junk.length; i++) {
                if (junk[i] == 'B') {
                    junk[i] = 'b'; // keep the garbage free of the magic's first byte
                }
            }
            wire.writeBytes(junk);
            wire.writeBytes(FrameEncoder.encode(f));
        }
        byte[] bytes = wire.toByteArray();
        decoder.feed(bytes, 0, bytes.length);
        assertThat(frames).isEqualTo(sent);
    }

    @Property(tries = 500)
    void aFlippedBitDropsThatFrameAndTheNextOneStillArrives(@ForAll("frames") Frame f, @ForAll("frames") Frame next, @ForAll long seed) {
        fresh();
        byte[] a = FrameEncoder.encode(f);
        Random rnd = new Random(seed);
        int bit = rnd.nextInt(a.length * 8);
        a[bit / 8] ^= (byte) (1 << (bit % 8));
        byte[] b = FrameEncoder.encode(next);
        // a flipped length may swallow what follows until the checksum fails: keep the stream going
        byte[] filler = FrameEncoder.encode(new Frame(Frame.PING, 0, new byte[8]));
        try {
            decoder.feed(a, 0, a.length);
            decoder.feed(b, 0, b.length);
            for (int i = 0; i < 4000; i++) {
                decoder.feed(filler, 0, filler.length);
            }
            List<Frame> real = frames.stream().filter(x -> !(x.type() == Frame.PING && x.stream() == 0 && x.payload().length == 8)).toList();
            if (!(next.type() == Frame.PING && next.stream() == 0 && next.payload().length == 8)) {
                assertThat(real).containsExactly(next);
            }
        } catch (AgentProtocolException e) {
            assertThat(e.fatal()).isTrue(); // the flip hit the version or pushed the length past the limit
        }
    }

    @Test
    void anOversizedLengthIsFatalBeforeAnythingIsAllocated() {
        byte[] h = header(1, Frame.MAX_PAYLOAD + 1);
        assertThatThrownBy(() -> decoder.feed(h, 0, h.length))
                .isInstanceOf(AgentProtocolException.class)
                .hasMessageContaining("65537 bytes; the limit is 65536");
        // and it stays failed
        assertThatThrownBy(() -> decoder.feed(new byte[1], 0, 1)).isInstanceOf(AgentProtocolException.class);
    }

    @Test
    void anUnknownVersionIsFatal() {
        byte[] h = header(2, 0);
        assertThatThrownBy(() -> decoder.feed(h, 0, h.length))
                .isInstanceOf(AgentProtocolException.class)
                .hasMessageContaining("version 2");
    }

    @Test
    void endlessGarbageIsCountedNotBuffered() throws Exception {
        byte[] junk = new byte[1 << 16];
        Random rnd = new Random(1);
        for (int round = 0; round < 200; round++) { // 12.5 MiB of noise
            rnd.nextBytes(junk);
            for (int i = 0; i < junk.length; i++) {
                if (junk[i] == 'B') {
                    junk[i] = 0;
                }
            }
            decoder.feed(junk, 0, junk.length);
        }
        assertThat(frames).isEmpty();
        assertThat(decoder.skippedBytes()).isGreaterThan(200L * junk.length - 4);
    }

    private static byte[] header(int version, int length) {
        return ByteBuffer.allocate(Frame.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(Frame.MAGIC).put((byte) version).put((byte) Frame.PONG).putShort((short) 0)
                .putInt(0).putInt(length).putInt(0).array();
    }
}
