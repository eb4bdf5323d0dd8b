package dev.burrow.daemon.api;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** A test's WebSocket client (the JDK's): collects binary output, text messages and the close; can stop reading. */
public final class WsClient implements WebSocket.Listener {

    static final Duration WAIT = Duration.ofSeconds(10);

    final ByteArrayOutputStream output = new ByteArrayOutputStream();
    public final List<String> texts = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();
    private final boolean reading;
    WebSocket ws;

    private WsClient(boolean reading) {
        this.reading = reading;
    }

    /** Connects with these headers and subprotocols; fails with the handshake's error. */
    public static WsClient connect(URI uri, Map<String, String> headers, boolean reading, String... subprotocols) throws Exception {
        WsClient c = new WsClient(reading);
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(WAIT);
        headers.forEach(b::header);
        if (subprotocols.length > 0) {
            b.subprotocols(subprotocols[0], Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
        }
        c.ws = b.buildAsync(uri, c).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return c;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        if (reading) {
            webSocket.request(1);
        }
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        synchronized (output) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            output.writeBytes(b);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            texts.add(text.toString());
            text.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode + " " + reason);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete("error " + error);
    }

    public String output() {
        synchronized (output) {
            return output.toString(StandardCharsets.ISO_8859_1);
        }
    }

    public void send(String input) throws Exception {
        ws.sendBinary(ByteBuffer.wrap(input.getBytes(StandardCharsets.ISO_8859_1)), true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    public void control(String json) throws Exception {
        ws.sendText(json, true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    public String awaitClose() throws Exception {
        return closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    public static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }
}
