package dev.burrow.cli;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/**
 * A stand-in burrowd for {@code burrow shell}: one microVM, and a PTY WebSocket whose terminal
 * echoes input and, on Ctrl-D, sends {@code {"exit":N}} (N from {@code ?cmd=exitN}) and closes.
 * {@code ?cmd=suspend} closes with 1001 at once; {@code ?cmd=refuse} answers 409.
 */
final class FakePtyServer implements AutoCloseable {

    static final String VM = "vmpty0123";
    final List<String> queries = new CopyOnWriteArrayList<>();
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    final List<String> controls = new CopyOnWriteArrayList<>();
    final StringBuffer input = new StringBuffer();
    private final Server server = new Server();
    private final ServerConnector connector = new ServerConnector(server);

    FakePtyServer() throws Exception {
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        ServerWebSocketContainer sockets = ServerWebSocketContainer.ensure(server);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String path = Request.getPathInContext(request);
                if (path.equals("/v1/microvms")) {
                    return json(response, callback, 200, "{\"items\":[{\"id\":\"" + VM + "\",\"state\":\"RUNNING\"}],\"nextCursor\":null}");
                }
                if (path.equals("/v1/microvms/" + VM)) {
                    return json(response, callback, 200, "{\"id\":\"" + VM + "\",\"state\":\"SUSPENDED\"}");
                }
                if (path.equals("/v1/microvms/" + VM + "/tokens")) {
                    return json(response, callback, 201, "{\"token\":\"t0k\",\"scope\":\"pty\",\"ports\":[],\"expiresAt\":\"2026-12-01T00:00:00Z\","
                            + "\"url\":\"http://127.0.0.1:1/shell/" + VM + "?token=t0k\"}");
                }
                if (path.equals("/v1/microvms/" + VM + "/pty")) {
                    String query = request.getHttpURI().getQuery();
                    queries.add(query);
                    authorizations.add(String.valueOf(request.getHeaders().get(HttpHeader.AUTHORIZATION)));
                    if (query.contains("cmd=refuse")) {
                        return json(response, callback, 409, "{\"type\":\"x/conflict\",\"status\":409,\"detail\":\"suspended\"}");
                    }
                    return sockets.upgrade((req, resp, cb) -> {
                        resp.setAcceptedSubProtocol("burrow");
                        return new FakePtyTerminal(FakePtyServer.this, query);
                    }, request, response, callback);
                }
                return json(response, callback, 404, "{\"status\":404,\"detail\":\"no such endpoint\"}");
            }
        });
        server.start();
    }

    private static boolean json(Response response, Callback callback, int status, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, status >= 400 ? "application/problem+json" : "application/json");
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
        return true;
    }

    String url() {
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    static Map<String, String> env(FakePtyServer s) {
        return Map.of("BURROW_URL", s.url(), "BURROW_API_KEY", FakeBurrowd.KEY);
    }
}
