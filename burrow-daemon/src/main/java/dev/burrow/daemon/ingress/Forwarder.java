package dev.burrow.daemon.ingress;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One HTTP/1.1 exchange with a guest port: the request head and (streamed) body out over a pooled
 * or new stream, the guest's head parsed within limits, its body streamed back as it comes. A 101
 * answer hands the connection to a {@link Tunnel}. Failures before the response starts are
 * {@link IngressException}s (502 broken or refused, 504 too slow); after, the client's response is cut.
 */
final class Forwarder {

    /** What to send: the cleaned request and where it goes. */
    /** A request for the guest; {@code fallbackProtocol}: the subprotocol a 101 answers when the guest chose none (null: none). */
    record Outgoing(String method, String target, List<ResponseHead.Header> headers, boolean upgrade, String fallbackProtocol) {}

    private enum BodyMode { NONE, LENGTH, CHUNKED }

    private final IngressSettings settings;
    private final GuestPool pool;
    private final Watchdog watchdog;

    Forwarder(IngressSettings settings, GuestPool pool, Watchdog watchdog) {
        this.settings = settings;
        this.pool = pool;
        this.watchdog = watchdog;
    }

    /**
     * Serves {@code request} from the guest and completes {@code callback}. Takes ownership of
     * {@code visit}: it is closed when the exchange (or the tunnel it became) ends.
     */
    void forward(Request request, Response response, Callback callback, Guests.Visit visit, String microVmId, int port,
                 Outgoing out) throws Exception {
        boolean tunnelled = false;
        try {
            tunnelled = exchange(request, response, callback, visit, microVmId, port, out);
        } finally {
            if (!tunnelled) {
                visit.close();
            }
        }
    }

    private boolean exchange(Request request, Response response, Callback callback, Guests.Visit visit, String microVmId,
                             int port, Outgoing out) throws Exception {
        BodyMode mode = out.upgrade() ? BodyMode.NONE : bodyMode(request);
        GuestLink link = mode == BodyMode.NONE && !out.upgrade() ? pool.take(microVmId, port, visit.channel()) : null;
        boolean reused = link != null;
        while (true) {
            if (link == null) {
                link = dial(visit, port);
            }
            GuestInput in = new GuestInput(link, watchdog, settings.bufferBytes(), settings.responseHeaderTimeout());
            CompletableFuture<Void> sent;
            ResponseHead head;
            try {
                sent = send(request, link, out, mode);
                if (mode == BodyMode.NONE) {
                    sent.get();
                }
                head = readHead(in, out.upgrade());
            } catch (IOException | ExecutionException e) {
                link.close();
                if (reused) { // a kept stream the guest had closed meanwhile: once more on a new one
                    reused = false;
                    link = null;
                    continue;
                }
                throw failure(e instanceof ExecutionException x && x.getCause() != null ? x.getCause() : e, port);
            }
            if (head == null) {
                link.close();
                if (reused) {
                    reused = false;
                    link = null;
                    continue;
                }
                throw IngressException.badGateway("the app on port " + port + " closed the connection without answering");
            }
            if (head.status() == 101 && out.upgrade()) {
                upgrade(request, response, callback, head, link, in, visit, out);
                return true;
            }
            respond(request, response, callback, head, link, in, sent, microVmId, port, visit.channel(), out);
            return false;
        }
    }

    private GuestLink dial(Guests.Visit visit, int port) {
        try {
            return visit.dial(port, settings.connectTimeout());
        } catch (IOException e) {
            throw IngressException.badGateway("nothing answers on port " + port + " in the microVM: " + e.getMessage());
        }
    }

    private static BodyMode bodyMode(Request request) {
        if (request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)) {
            return BodyMode.CHUNKED;
        }
        return request.getLength() >= 0 && request.getHeaders().contains(HttpHeader.CONTENT_LENGTH) ? BodyMode.LENGTH : BodyMode.NONE;
    }

    /** Writes the head now and pumps the body on its own thread (a guest may answer before it read it all). */
    private CompletableFuture<Void> send(Request request, GuestLink link, Outgoing out, BodyMode mode) throws IOException {
        StringBuilder head = new StringBuilder(512);
        head.append(out.method()).append(' ').append(out.target()).append(" HTTP/1.1\r\n");
        for (ResponseHead.Header h : out.headers()) {
            head.append(h.name()).append(": ").append(h.value()).append("\r\n");
        }
        switch (mode) {
            case LENGTH -> head.append("Content-Length: ").append(request.getLength()).append("\r\n");
            case CHUNKED -> head.append("Transfer-Encoding: chunked\r\n");
            case NONE -> { }
        }
        head.append("\r\n");
        OutputStream guest = new BufferedOutputStream(link.output(), settings.bufferBytes());
        guest.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (mode == BodyMode.NONE) {
            guest.flush();
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofVirtual().name("ingress-body").start(() -> {
            try (InputStream body = Content.Source.asInputStream(request)) {
                byte[] buf = new byte[settings.bufferBytes()];
                int n;
                while ((n = body.read(buf)) > 0) {
                    if (mode == BodyMode.CHUNKED) {
                        guest.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        guest.write(buf, 0, n);
                        guest.write('\r');
                        guest.write('\n');
                    } else {
                        guest.write(buf, 0, n);
                    }
                    guest.flush();
                }
                if (mode == BodyMode.CHUNKED) {
                    guest.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                }
                guest.flush();
                done.complete(null);
            } catch (Throwable t) {
                link.close(); // the guest must not take a cut body for a whole one
                done.completeExceptionally(t);
            }
        });
        return done;
    }

    /** The guest's final head (interim 1xx other than an expected 101 are skipped), or null when it closed at once. */
    private ResponseHead readHead(GuestInput in, boolean upgrade) throws IOException {
        long deadline = System.nanoTime() + settings.responseHeaderTimeout().toNanos();
        while (true) {
            in.deadline(deadline);
            ResponseHead head = ResponseHead.read(in, settings.maxResponseHeadBytes());
            if (head != null && head.status() == 101 && !upgrade) {
                throw new ResponseHead.Broken("the app switched protocols on a request that did not ask for it");
            }
            if (head == null || head.status() >= 200 || head.status() == 101) {
                in.deadline(Long.MAX_VALUE);
                in.timeout(settings.idleTimeout());
                return head;
            }
        }
    }

    private static IngressException failure(Throwable e, int port) {
        return switch (e) {
            case IngressException i -> i;
            case GuestInput.TimedOut t -> IngressException.gatewayTimeout("the app on port " + port
                    + " did not answer in time: " + t.getMessage());
            case ResponseHead.Broken b -> IngressException.badGateway("the app on port " + port + " sent a broken response: " + b.getMessage());
            default -> IngressException.badGateway("the connection to the app on port " + port + " failed: " + e.getMessage());
        };
    }

    private void respond(Request request, Response response, Callback callback, ResponseHead head, GuestLink link, GuestInput in,
                         CompletableFuture<Void> sent, String microVmId, int port, Object channel, Outgoing out) throws Exception {
        ResponseBody body;
        ResponseHead.Framing framing;
        try {
            framing = head.framing(out.method());
            body = new ResponseBody(in, framing, settings.maxResponseHeadBytes());
        } catch (ResponseHead.Broken e) {
            link.close();
            throw failure(e, port);
        }
        response.setStatus(head.status());
        Set<String> named = Headers.connectionTokens(head.all("Connection"));
        for (ResponseHead.Header h : head.headers()) {
            if (Headers.toClient(h.name(), named, false)) {
                response.getHeaders().add(h.name(), h.value());
            }
        }
        if (framing.kind() == ResponseHead.Framing.Kind.LENGTH) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, framing.length());
        } else if (out.method().equals("HEAD") && head.first("Content-Length") != null) {
            // the length a GET would have: what HEAD is for
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, head.first("Content-Length"));
        }
        boolean clean = false;
        // closed only after the whole body: closing ends the response, which a failure before the first byte must not do
        OutputStream client = Content.Sink.asOutputStream(response);
        try {
            byte[] buf = new byte[settings.bufferBytes()];
            int n;
            while ((n = body.read(buf, 0, buf.length)) > 0) {
                client.write(buf, 0, n);
            }
            client.close();
            clean = true;
        } catch (IOException e) {
            link.close();
            if (!response.isCommitted() || e instanceof ResponseHead.Broken || e instanceof GuestInput.TimedOut) {
                // the guest's fault, before or after the head went out: a 502/504, or (committed) a cut
                // response logged as the guest's doing, never as an internal error of burrowd's
                throw failure(e, port);
            }
            throw e;
        }
        boolean keep = clean && body.complete() && in.buffered() == 0 && !out.upgrade() && reusable(head) && sentCleanly(sent);
        if (keep) {
            pool.give(microVmId, port, channel, link);
        } else {
            link.close();
        }
        callback.succeeded();
    }

    private static boolean sentCleanly(CompletableFuture<Void> sent) {
        try {
            sent.get();
            return true;
        } catch (ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static boolean reusable(ResponseHead head) {
        if (head.lists("Connection", "close")) {
            return false;
        }
        return head.version().equals("HTTP/1.1") || head.lists("Connection", "keep-alive");
    }

    private void upgrade(Request request, Response response, Callback callback, ResponseHead head, GuestLink link, GuestInput in,
                         Guests.Visit visit, Outgoing out) {
        response.setStatus(101);
        Set<String> named = Headers.connectionTokens(head.all("Connection"));
        boolean chose = false;
        for (ResponseHead.Header h : head.headers()) {
            if (Headers.toClient(h.name(), named, true)) {
                response.getHeaders().add(h.name(), h.value());
                chose |= h.name().equalsIgnoreCase("Sec-WebSocket-Protocol");
            }
        }
        if (!chose && out.fallbackProtocol() != null) {
            response.getHeaders().put("Sec-WebSocket-Protocol", out.fallbackProtocol());
        }
        Tunnel tunnel = new Tunnel(request.getConnectionMetaData().getConnection().getEndPoint(), request.getComponents().getExecutor(),
                link, in, visit, settings);
        request.getConnectionMetaData().getConnector().getEventListeners().forEach(tunnel::addEventListener);
        request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, tunnel);
        response.write(true, null, Callback.from(callback::succeeded, x -> {
            tunnel.release();
            callback.failed(x);
        }));
    }
}
