package dev.burrow.daemon.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {

    private static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void linesKeepTheirNewlineAndJoinedGiveTheOutputBack() {
        LineSplitter s = new LineSplitter(64);
        List<String> out = new ArrayList<>(s.feed(utf8("one\r\ntwo\nthr")));
        assertThat(out).containsExactly("one\r\n", "two\n");
        out.addAll(s.feed(utf8("ee\n\n")));
        assertThat(s.flush()).isNull();
        assertThat(String.join("", out)).isEqualTo("one\r\ntwo\nthree\n\n");
    }

    @Test
    void anUnfinishedLineIsFlushedAsItIs() {
        LineSplitter s = new LineSplitter(64);
        assertThat(s.feed(utf8("login: "))).isEmpty();
        assertThat(s.flush()).isEqualTo("login: ");
        assertThat(s.flush()).isNull();
    }

    @Test
    void aLongLineIsCutIntoPiecesOfTheLimitOnACharacterBoundary() {
        LineSplitter s = new LineSplitter(16);
        String line = "aaaaaaaaaaaaaaa" + "é".repeat(20) + "\n"; // 15 + 40 + 1 bytes
        List<String> out = s.feed(utf8(line));
        assertThat(String.join("", out)).isEqualTo(line);
        for (String piece : out) {
            assertThat(piece.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(16);
            assertThat(piece).doesNotContain("\uFFFD");
        }
        assertThat(out.getFirst()).isEqualTo("aaaaaaaaaaaaaaa"); // 15: the next character would not fit whole
    }

    @Test
    void aCharacterSplitAcrossTwoReadsIsDecodedWhole() {
        LineSplitter s = new LineSplitter(64);
        byte[] euro = "€\n".getBytes(StandardCharsets.UTF_8);
        assertThat(s.feed(ByteBuffer.wrap(euro, 0, 2))).isEmpty();
        assertThat(s.flush()).as("an incomplete character waits").isNull();
        assertThat(s.feed(ByteBuffer.wrap(euro, 2, 2))).containsExactly("€\n");
    }

    @Test
    void invalidUtf8IsReplacedAndControlBytesStay() {
        LineSplitter s = new LineSplitter(64);
        byte[] bytes = {'a', (byte) 0xff, (byte) 0xc3, 'b', 0x1b, '[', '0', 'm', 0, '\n'};
        assertThat(s.feed(ByteBuffer.wrap(bytes))).containsExactly("a\uFFFD\uFFFDb\u001b[0m\u0000\n");
    }

    @Test
    void aLineOfContinuationBytesOnlyIsStillCutAtTheLimit() {
        LineSplitter s = new LineSplitter(16);
        byte[] junk = new byte[40];
        java.util.Arrays.fill(junk, (byte) 0x80);
        List<String> out = s.feed(ByteBuffer.wrap(junk));
        assertThat(out).hasSize(2);
        assertThat(out).allSatisfy(p -> assertThat(p).matches("\uFFFD+"));
    }
}
