package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * One {@code burrow shell} connection: the PTY WebSocket between a {@link LocalTerminal} and
 * burrowd. Keys go out as binary messages (read in pieces of at most {@link #INPUT_CHUNK}), the
 * remote output is written to the terminal as it arrives, window changes go out as
 * {@code {"resize":…}}, and {@code {"exit":n}} followed by a normal close ends it with n.
 */
final class ShellSession implements WebSocket.Listener {

    /** The largest binary message this client sends (burrowd takes up to 64 KiB). */
    static final int INPUT_CHUNK = 4096;
    /** The WebSocket handshake's deadline. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    /** How long one message may wait for the socket to take it before the session is given up. */
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);
    /** A normal close (the remote command exited). */
    private static final int NORMAL = 1000;

    /** How the session ended: the remote exit code, or why there is none. */
    record End(Integer exitCode, int closeCode, String reason) {}

    private final LocalTerminal terminal;
    private final CompletableFuture<End> ended = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();
    private volatile Integer exitCode;
    private WebSocket ws;

    private ShellSession(LocalTerminal terminal) {
        this.terminal = terminal;
    }

    /**
     * Connects to {@code uri} with the API key and runs until the remote side ends; a handshake
     * refused by burrowd is a {@link BurrowException} with its status.
     */
    static End run(LocalTerminal terminal, URI uri, String apiKey, IntFunction<String> refusal) {
        ShellSession s = new ShellSession(terminal);
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT).subprotocols("burrow");
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        try {
            s.ws = b.buildAsync(uri, s).get(CONNECT_TIMEOUT.toSeconds() + 1, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw refused(e.getCause(), refusal);
        } catch (TimeoutException e) {
            throw new BurrowException("burrowd did not open the terminal within " + CONNECT_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BurrowException("interrupted while connecting");
        }
        terminal.onResize(s::sendSize);
        Thread keys = new Thread(s::pumpKeys, "burrow-shell-keys");
        keys.setDaemon(true);
        keys.start();
        try {
            return s.ended.get();
        } catch (ExecutionException e) {
            return new End(null, 0, "the connection to burrowd broke: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.ws.abort();
            return new End(null, 0, "interrupted");
        }
    }

    private static BurrowException refused(Throwable cause, IntFunction<String> refusal) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof WebSocketHandshakeException h) {
                int status = h.getResponse().statusCode();
                return new BurrowException(refusal.apply(status), status, null, cause);
            }
        }
        return new BurrowException("cannot open the terminal: " + cause.getMessage(), cause);
    }

    /** Keys to the remote terminal until our input ends or the session does. */
    private void pumpKeys() {
        InputStream in = terminal.input();
        byte[] buf = new byte[INPUT_CHUNK];
        try {
            int n;
            while (!ended.isDone() && (n = in.read(buf)) >= 0) {
                if (n > 0) {
                    byte[] copy = Arrays.copyOf(buf, n);
                    send(() -> ws.sendBinary(ByteBuffer.wrap(copy), true));
                }
            }
        } catch (IOException | RuntimeException e) {
            // the session ended under us, or our input broke: the remote side decides what happens next
        }
    }

    private void sendSize() {
        String msg = "{\"resize\":{\"cols\":" + terminal.cols() + ",\"rows\":" + terminal.rows() + "}}";
        try {
            send(() -> ws.sendText(msg, true));
        } catch (IOException | RuntimeException e) {
            // the session is ending
        }
    }

    /** One message at a time (the JDK WebSocket allows one outstanding send); waits until the socket took it. */
    private synchronized void send(Supplier<CompletableFuture<WebSocket>> message) throws IOException {
        if (ended.isDone()) {
            return;
        }
        try {
            message.get().get(SEND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("sending to burrowd failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        try {
            OutputStream out = terminal.output();
            byte[] b = new byte[data.remaining()];
            data.get(b);
            out.write(b);
            out.flush();
        } catch (IOException e) {
            ended.complete(new End(null, 0, "cannot write to the terminal: " + e.getMessage()));
            webSocket.abort();
            return null;
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            String msg = text.toString();
            text.setLength(0);
            try {
                JsonNode node = Json.parse(msg);
                if (node != null && node.has("exit") && node.get("exit").canConvertToInt()) {
                    exitCode = node.get("exit").asInt();
                }
            } catch (RuntimeException ignored) {
                // a control message this CLI does not know yet
            }
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        ended.complete(new End(statusCode == NORMAL ? exitCode : null, statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        ended.completeExceptionally(error);
    }
}
