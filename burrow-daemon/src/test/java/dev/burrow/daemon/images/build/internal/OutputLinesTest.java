package dev.burrow.daemon.images.build.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class OutputLinesTest {
    private final List<String> sink = new ArrayList<>();

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void linesSplitAcrossChunksAreJoinedAndStreamsNeverMix() {
        OutputLines o = new OutputLines(sink::add, 100, 5, 10_000);
        o.accept(0, b("hel"));
        o.accept(1, b("err"));
        o.accept(0, b("lo\nwor"));
        o.accept(1, b("or\r\n"));
        o.finish();
        assertThat(sink).containsExactly("hello", "error", "wor");
    }

    @Test
    @Tag("hostile")
    void aHugeLineIsCutAndOnlyTheTailIsKept() {
        OutputLines o = new OutputLines(sink::add, 100, 3, 10_000);
        o.accept(0, b("x".repeat(1_000_000) + "\n"));
        for (int i = 0; i < 10; i++) {
            o.accept(0, b("l" + i + "\n"));
        }
        assertThat(sink.getFirst()).hasSize(100 + " […]".length()).endsWith(" […]");
        assertThat(o.tail()).containsExactly("l7", "l8", "l9");
        assertThat(o.lineCount()).isEqualTo(11);
    }

    @Test
    @Tag("hostile")
    void pastTheLogBudgetLinesAreCountedNotLoggedButTheTailStaysWhole() {
        OutputLines o = new OutputLines(sink::add, 100, 2, 1000);
        for (int i = 0; i < 10_000; i++) {
            o.accept(0, b("line number " + i + "\n"));
        }
        o.finish();
        assertThat(sink.stream().mapToInt(String::length).sum()).isLessThan(1200);
        assertThat(sink.getLast()).startsWith("(").contains("more lines not logged");
        assertThat(o.tail()).containsExactly("line number 9998", "line number 9999");
    }
}
