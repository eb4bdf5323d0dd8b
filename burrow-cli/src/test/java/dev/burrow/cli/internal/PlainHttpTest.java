package dev.burrow.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The hot verbs' socket client against a server that answers exactly the bytes a test gives it. */
class PlainHttpTest {
    private static final long WAIT_SECONDS = 10;

    ServerSocket server;
    /** The request head and body the server received, once it has answered. */
    CompletableFuture<String> received;

    @BeforeEach
    void listen() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void close() throws IOException {
        server.close();
    }

    /** Answers the next connection with {@code answer} once the request (head and body) is in, then closes it. */
    private URI answering(String answer) {
        received = CompletableFuture.supplyAsync(() -> {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                ByteArrayOutputStream req = new ByteArrayOutputStream();
                while (!req.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) req.write(in.read());
                String head = req.toString(StandardCharsets.ISO_8859_1);
                int length = 0;
                for (String line : head.split("\r\n")) {
                    if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
                }
                String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
                s.getOutputStream().write(answer.getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
                return head + body;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/v1/microvms?limit=500");
    }

    private static String read(PlainHttp.Response r) throws IOException {
        try (InputStream in = r.body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aRequestCarriesItsTargetHostHeadersBodyAndAskForTheConnectionToClose() throws Exception {
        URI uri = answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        PlainHttp.Response r = PlainHttp.exchange(uri, "POST", Map.of("Authorization", "Bearer k"), "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).isEqualTo(200);
        assertThat(read(r)).isEqualTo("{}");
        String req = received.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(req).startsWith("POST /v1/microvms?limit=500 HTTP/1.1\r\nHost: 127.0.0.1:" + server.getLocalPort() + "\r\n")
                .contains("Authorization: Bearer k\r\n", "Content-Length: 7\r\n", "Connection: close\r\n").endsWith("\r\n\r\n{\"a\":1}");
    }

    @Test
    void aChunkedBodyIsJoinedWithItsExtensionsAndTrailersLeftOut() throws Exception {
        URI uri = answering("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;ext=1\r\nhello\r\n1\r\n\n\r\n0\r\nX-Trailer: t\r\n\r\n");
        assertThat(read(PlainHttp.exchange(uri, "GET", Map.of(), null))).isEqualTo("hello\n");
    }

    @Test
    void aBodyWithoutLengthRunsToTheEndOfTheConnectionAndAnInterimAnswerIsSkipped() throws Exception {
        URI uri = answering("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\n\r\n{\"detail\":\"x\"}");
        PlainHttp.Response r = PlainHttp.exchange(uri, "GET", Map.of(), null);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.headers()).containsEntry("content-type", "application/problem+json");
        assertThat(read(r)).isEqualTo("{\"detail\":\"x\"}");
    }

    @Test
    @Tag("hostile")
    void aBodyCutShortOfItsLengthIsAnErrorNotAShortAnswer() {
        URI uri = answering("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        assertThatThrownBy(() -> read(PlainHttp.exchange(uri, "GET", Map.of(), null))).hasMessageContaining("7 bytes before the body's end");
    }

    @Test
    @Tag("hostile")
    void aMalformedStatusLineOrChunkSizeIsAnError() {
        URI uri = answering("SSH-2.0-OpenSSH\r\n\r\n");
        assertThatThrownBy(() -> PlainHttp.exchange(uri, "GET", Map.of(), null)).hasMessageContaining("not an HTTP/1.1 status line");
        URI chunked = answering("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        assertThatThrownBy(() -> read(PlainHttp.exchange(chunked, "GET", Map.of(), null))).hasMessageContaining("malformed chunk size");
    }

    @Test
    @Tag("hostile")
    void anEndlessHeaderIsCutOffAtTheBound() {
        URI uri = answering("HTTP/1.1 200 OK\r\nX-Long: " + "a".repeat(PlainHttp.MAX_HEAD_BYTES) + "\r\n\r\n");
        assertThatThrownBy(() -> PlainHttp.exchange(uri, "GET", Map.of(), null)).hasMessageContaining("longer than");
    }

    @Test
    void nobodyListeningIsAConnectErrorAndTheClientSaysBurrowdIsUnreachable() throws IOException {
        int port = server.getLocalPort();
        server.close();
        URI uri = URI.create("http://127.0.0.1:" + port + "/v1/version");
        assertThatThrownBy(() -> PlainHttp.exchange(uri, "GET", Map.of(), null)).isInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> new ApiClient("http://127.0.0.1:" + port, "k").get("/v1/version"))
                .hasMessage(ApiClient.unreachable("http://127.0.0.1:" + port));
    }
}
