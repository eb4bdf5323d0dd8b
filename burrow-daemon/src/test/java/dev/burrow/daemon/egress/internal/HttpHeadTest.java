package dev.burrow.daemon.egress.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("hostile")
@Tag("security")
class HttpHeadTest {

    private static String host(String head) throws IOException {
        return HttpHead.readHost(prefix(new ByteArrayInputStream(head.getBytes(StandardCharsets.ISO_8859_1)), 16 * 1024));
    }

    private static Prefix prefix(InputStream in, int max) {
        return new Prefix(in, max, System.nanoTime() + 5_000_000_000L, ms -> { });
    }

    @Test
    void theHostIsReadAndTheWholeHeadKept() throws IOException {
        String head = "GET /simple/ HTTP/1.1\r\nHost: pypi.org\r\nAccept: */*\r\n\r\nbody";
        Prefix p = prefix(new ByteArrayInputStream(head.getBytes(StandardCharsets.US_ASCII)), 16 * 1024);
        assertThat(HttpHead.readHost(p)).isEqualTo("pypi.org");
        assertThat(new String(p.bytes(), StandardCharsets.US_ASCII)).isEqualTo(head);
        assertThat(host("GET / HTTP/1.0\r\nhOsT:   a.com:80  \r\n\r\n")).isEqualTo("a.com:80");
    }

    @Test
    void aHeadSplitIntoPiecesIsStillRead() throws IOException {
        List<InputStream> parts = List.of(new ByteArrayInputStream("GET / HTTP/1.1\r".getBytes()),
                new ByteArrayInputStream("\nHost: a.com\r\n\r".getBytes()), new ByteArrayInputStream("\n".getBytes()));
        assertThat(HttpHead.readHost(prefix(new SequenceInputStream(Collections.enumeration(parts)), 1024))).isEqualTo("a.com");
    }

    @Test
    void ambiguousHostsAreRefused() {
        assertThatThrownBy(() -> host("GET / HTTP/1.1\r\nHost: a.com\r\nHost: b.com\r\n\r\n")).hasMessageContaining("more than one");
        assertThatThrownBy(() -> host("GET / HTTP/1.1\r\nAccept: x\r\n\r\n")).hasMessageContaining("no Host");
        assertThatThrownBy(() -> host("GET / HTTP/1.1\r\nHost : b.com\r\n\r\n")).isInstanceOf(HttpHead.Malformed.class);
        assertThatThrownBy(() -> host("GET / HTTP/1.1\r\nX: 1\r\n Host: b.com\r\n\r\n")).hasMessageContaining("folded");
        assertThatThrownBy(() -> host("GET http://b.com/ HTTP/1.1\r\nHost: a.com\r\n\r\n")).hasMessageContaining("another host");
        assertThatThrownBy(() -> host("CONNECT b.com:443 HTTP/1.1\r\nHost: b.com\r\n\r\n")).hasMessageContaining("CONNECT");
        assertThatThrownBy(() -> host("\u0016\u0003\u0001garbage\r\n\r\n")).hasMessageContaining("request line");
    }

    @Test
    void aHeadLargerThanTheLimitIsCut() {
        String big = "GET / HTTP/1.1\r\nX: " + "a".repeat(3000) + "\r\nHost: a.com\r\n\r\n";
        assertThatThrownBy(() -> HttpHead.readHost(prefix(new ByteArrayInputStream(big.getBytes()), 1024)))
                .isInstanceOf(Prefix.Cut.class);
    }

    @Test
    void aHeadThatDoesNotArriveInTimeIsCut() {
        Prefix late = new Prefix(new ByteArrayInputStream("GET / HTTP/1.1\r\n".getBytes()), 1024, System.nanoTime() - 1, ms -> { });
        assertThatThrownBy(() -> HttpHead.readHost(late)).isInstanceOf(Prefix.Cut.class);
    }

    @Test
    void namesAreNormalizedAndIpLiteralsRecognised() {
        assertThat(Names.normalize("PyPI.org.")).contains("pypi.org");
        assertThat(Names.normalize("198.51.100.2")).isEmpty();
        assertThat(Names.isIpLiteral("198.51.100.2")).isTrue();
        assertThat(Names.isIpLiteral("[2001:db8::1]")).isTrue();
        assertThat(Names.isIpLiteral("a.com")).isFalse();
        assertThat(Names.normalize("a_b.com")).isEmpty();
        assertThat(Names.normalize("x".repeat(254))).isEmpty();
    }
}
