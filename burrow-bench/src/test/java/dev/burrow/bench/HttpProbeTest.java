package dev.burrow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpProbeTest {

    private final ByteArrayOutputStream sent = new ByteArrayOutputStream();

    private HttpProbe.Response answer(String response) throws IOException {
        return HttpProbe.get(new ByteArrayInputStream(response.getBytes(StandardCharsets.ISO_8859_1)), sent, "10.0.0.6:8080", "/small",
                Map.of("X-Burrow-Token", "t"));
    }

    @Test
    void aGetIsWrittenWithHostAndHeadersAndAContentLengthBodyKeepsTheConnection() throws Exception {
        HttpProbe.Response r = answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA");

        assertThat(sent.toString(StandardCharsets.US_ASCII))
                .isEqualTo("GET /small HTTP/1.1\r\nHost: 10.0.0.6:8080\r\nX-Burrow-Token: t\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(new String(r.body(), StandardCharsets.US_ASCII)).isEqualTo("hello");
        assertThat(r.keepAlive()).isTrue();
    }

    @Test
    void aChunkedBodyIsJoinedAndItsTrailersSkipped() throws Exception {
        HttpProbe.Response r = answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n");

        assertThat(new String(r.body(), StandardCharsets.US_ASCII)).isEqualTo("abcde");
        assertThat(r.keepAlive()).isTrue();
    }

    @Test
    void connectionCloseOrABodyWithoutLengthEndsTheConnection() throws Exception {
        assertThat(answer("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keepAlive()).isFalse();
        HttpProbe.Response toEnd = answer("HTTP/1.1 200 OK\r\n\r\nall of it");
        assertThat(toEnd.keepAlive()).isFalse();
        assertThat(new String(toEnd.body(), StandardCharsets.US_ASCII)).isEqualTo("all of it");
        assertThat(answer("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive()).isFalse();
    }

    @Test
    void aHeadCutShortATooLargeHeadOrATruncatedBodyIsAnError() {
        assertThatThrownBy(() -> answer("")).hasMessageContaining("closed inside the response head (0 bytes)");
        assertThatThrownBy(() -> answer("HTTP/1.1 200 OK\r\nX: " + "a".repeat(HttpProbe.MAX_HEADER_BYTES) + "\r\n\r\n"))
                .hasMessageContaining("larger than " + HttpProbe.MAX_HEADER_BYTES);
        assertThatThrownBy(() -> answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")).hasMessageContaining("5 of 10");
        assertThatThrownBy(() -> answer("SSH-2.0-OpenSSH\r\n\r\n")).hasMessageContaining("not an HTTP/1.x status line");
    }
}
