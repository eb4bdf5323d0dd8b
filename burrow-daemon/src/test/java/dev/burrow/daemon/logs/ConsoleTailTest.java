package dev.burrow.daemon.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleTailTest {

    private static final int HALF = 100;

    @TempDir
    Path dir;

    private final ByteArrayOutputStream read = new ByteArrayOutputStream();

    /** Everything readable now, {@code chunk} bytes at a time at most. */
    private String drain(ConsoleTail tail, JailerRing ring, int chunk) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(chunk);
        int n;
        while ((n = tail.read(ring.ring(), buf)) > 0) {
            assertThat(n).isLessThanOrEqualTo(chunk);
            read.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        return read.toString(StandardCharsets.US_ASCII);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code n} bytes that say where they are: "0000 0001 0002 …". */
    private static String numbered(int from, int count) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < from + count; i++) {
            sb.append(String.format("%04d ", i));
        }
        return sb.toString();
    }

    @Test
    void anAbsentRingReadsAsNothingYet() throws IOException {
        try (ConsoleTail tail = new ConsoleTail()) {
            assertThat(drain(tail, new JailerRing(dir.resolve("none"), HALF), 16)).isEmpty();
        }
    }

    @Test
    void theOlderHalfComesFirstThenTheNewerThenWhatIsAppended() throws IOException {
        JailerRing ring = new JailerRing(dir, HALF);
        String before = numbered(0, 30); // 150 bytes: one rotation, 100 older + 50 newer
        ring.write(ascii(before));
        try (ConsoleTail tail = new ConsoleTail()) {
            assertThat(drain(tail, ring, 7)).isEqualTo(before);
            ring.write(ascii("more"));
            assertThat(drain(tail, ring, 7)).isEqualTo(before + "more");
        }
    }

    @Test
    void rotationsBetweenReadsLoseNothingWhenTheReaderKeepsUp() throws IOException {
        JailerRing ring = new JailerRing(dir, HALF);
        StringBuilder all = new StringBuilder();
        try (ConsoleTail tail = new ConsoleTail()) {
            for (int i = 0; i < 40; i++) {
                String s = numbered(i * 13, 13); // 65 bytes: a rotation every other write
                ring.write(ascii(s));
                all.append(s);
                drain(tail, ring, 32);
                assertThat(tail.skipped()).isFalse();
            }
            assertThat(read.toString(StandardCharsets.US_ASCII)).isEqualTo(all.toString());
        }
        assertThat(ring.bytesOnDisk()).isLessThanOrEqualTo(2 * HALF);
    }

    @Test
    void aRingMovedByASuspendAndAResumeIsReadOnWithoutARepeat() throws IOException {
        JailerRing ring = new JailerRing(dir.resolve("vms/vm1"), HALF);
        ring.write(ascii("booted\n"));
        try (ConsoleTail tail = new ConsoleTail()) {
            drain(tail, ring, 64);
            JailerRing saved = ring.moveTo(dir.resolve("suspended/vm1/1"));
            assertThat(drain(tail, saved, 64)).isEqualTo("booted\n");
            JailerRing resumed = saved.moveTo(dir.resolve("vms2/vm1"));
            resumed.write(ascii("resumed\n"));
            assertThat(drain(tail, resumed, 64)).isEqualTo("booted\nresumed\n");
            assertThat(tail.skipped()).isFalse();
        }
    }

    @Test
    void aReaderTheRingRotatedPastSaysSoAndReadsOnFromTheOldestHalfThere() throws IOException {
        JailerRing ring = new JailerRing(dir, HALF);
        try (ConsoleTail tail = new ConsoleTail()) {
            ring.write(ascii(numbered(0, 10))); // 50 bytes in the newer half
            drain(tail, ring, 64);
            ring.write(ascii(numbered(10, 60))); // 300 more: three rotations
            String now = drain(tail, ring, 64);
            assertThat(tail.skipped()).isTrue();
            assertThat(tail.skipped()).as("said once").isFalse();
            // the half it held is read whole, then the older and newer halves there are now
            assertThat(now).startsWith(numbered(0, 20)).endsWith(numbered(50, 20));
            assertThat(now).doesNotContain("0025 ");
        }
    }
}
