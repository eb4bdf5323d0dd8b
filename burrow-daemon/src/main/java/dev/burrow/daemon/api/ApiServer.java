package dev.burrow.daemon.api;

import dev.burrow.daemon.images.ImageExistsException;
import dev.burrow.daemon.images.InvalidRequestException;
import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.IdempotencyKeys;
import dev.burrow.daemon.store.Principal;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.VirtualThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * burrowd's HTTP server: Jetty core handlers on virtual threads, one route table, bearer-key
 * auth, request ids on every response, and every error as problem+json (never a stack trace).
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final String PROBLEMS = "https://burrow.dev/problems/";

    private final Server server;
    private final List<Route> routes = new ArrayList<>();
    private final ApiKeys keys;
    private IdempotencyKeys idempotency;
    private final java.util.Set<Route> idempotent = new java.util.HashSet<>();

    public ApiServer(String host, int port, ApiKeys keys) {
        this.keys = keys;
        this.server = new Server(new VirtualThreadPool());
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                dispatch(request, response, callback);
                return true;
            }
        });
    }

    public ApiServer route(String method, String template, Route.Handler handler) {
        routes.add(Route.of(method, template, !template.startsWith("/healthz") && !template.startsWith("/readyz"), handler));
        return this;
    }

    /** A creating POST: an Idempotency-Key makes a retry return the first result instead of creating twice (SPEC §0). */
    public ApiServer idempotentRoute(String method, String template, Route.Handler handler) {
        route(method, template, handler);
        idempotent.add(routes.getLast());
        return this;
    }

    public ApiServer idempotency(IdempotencyKeys keys) {
        this.idempotency = keys;
        return this;
    }

    public ApiServer adminRoute(String method, String template, Route.Handler handler) {
        Route r = Route.of(method, template, true, handler);
        routes.add(new Route(r.method(), r.template(), r.pattern(), true, true, r.handler()));
        return this;
    }

    public void start() throws Exception {
        server.start();
    }

    public int port() {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    private void dispatch(Request request, Response response, Callback callback) {
        String requestId = Optional.ofNullable(request.getHeaders().get("X-Request-Id"))
                .filter(s -> s.matches("[A-Za-z0-9._:-]{1,128}")).orElseGet(() -> "req_" + UUID.randomUUID().toString().replace("-", ""));
        response.getHeaders().put("X-Request-Id", requestId);
        String path = Request.getPathInContext(request);
        Call call = null;
        try {
            Route route = null;
            Map<String, String> params = null;
            boolean pathKnown = false;
            for (Route r : routes) {
                Map<String, String> m = r.match(path);
                if (m != null) {
                    pathKnown = true;
                    if (r.method().equals(request.getMethod())) {
                        route = r;
                        params = m;
                        break;
                    }
                }
            }
            if (route == null) {
                throw pathKnown ? new ApiException(405, "method-not-allowed", null, request.getMethod() + " is not allowed on " + path)
                        : ApiException.notFound("no such endpoint: " + path);
            }
            call = new Call(request, response, requestId, params);
            if (route.authenticated()) {
                call.principal = authenticate(request);
                if (route.adminOnly() && !call.principal.admin()) {
                    throw new ApiException(403, "forbidden", null, "this call needs an admin key");
                }
            }
            String idemKey = request.getHeaders().get("Idempotency-Key");
            if (idemKey != null && idempotency != null && idempotent.contains(route)) {
                handleIdempotently(route, call, idemKey, path);
            } else {
                route.handler().handle(call);
            }
            callback.succeeded();
        } catch (Throwable t) {
            problem(response, callback, requestId, t);
        }
    }

    private void handleIdempotently(Route route, Call call, String key, String path) throws Exception {
        if (key.isEmpty() || key.length() > 255) {
            throw ApiException.badRequest("Idempotency-Key", "Idempotency-Key must be 1 to 255 characters");
        }
        byte[] body = call.readAhead();
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update((call.request.getMethod() + " " + path + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String hash = java.util.HexFormat.of().formatHex(sha.digest(body));
        switch (idempotency.reserve(call.tenant(), key, call.request.getMethod(), path, hash)) {
            case IdempotencyKeys.Reservation.Replay r -> {
                call.response.getHeaders().put("Idempotent-Replayed", "true");
                call.sendRaw(r.stored().status(), r.stored().response().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            case IdempotencyKeys.Reservation.Mismatch m -> throw new ApiException(422, "unprocessable", "Idempotency-Key",
                    "Idempotency-Key " + key + " was used for a different request; use a new key for a new request");
            case IdempotencyKeys.Reservation.InProgress p -> throw new ApiException(409, "conflict", "Idempotency-Key",
                    "a request with Idempotency-Key " + key + " is still being handled; retry shortly");
            case IdempotencyKeys.Reservation.Proceed p -> {
                try {
                    route.handler().handle(call);
                } catch (Exception | Error e) {
                    idempotency.release(call.tenant(), key);
                    throw e;
                }
                idempotency.complete(call.tenant(), key, call.sentStatus,
                        new String(call.sentBody == null ? new byte[0] : call.sentBody, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
    }

    private Principal authenticate(Request request) {
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (auth == null || !auth.startsWith("Bearer ")) {
            throw new ApiException(401, "unauthorized", null, "send Authorization: Bearer <api key> (see `burrow config --json`)");
        }
        return keys.authenticate(auth.substring(7).trim())
                .orElseThrow(() -> new ApiException(401, "unauthorized", null, "the API key is not valid (revoked or mistyped)"));
    }

    private static void problem(Response response, Callback callback, String requestId, Throwable t) {
        int status;
        String type;
        String field = null;
        String detail = t.getMessage();
        Map<String, Object> extra = Map.of();
        switch (t) {
            case ApiException a -> {
                status = a.status;
                type = a.type;
                field = a.field;
                extra = a.extra;
            }
            case InvalidRequestException e -> {
                status = 400;
                type = "invalid-request";
                field = e.field();
            }
            case NotFoundException e -> {
                status = 404;
                type = "not-found";
            }
            case ImageExistsException e -> {
                status = 409;
                type = "conflict";
            }
            case ConflictException e -> {
                status = 409;
                type = "conflict";
            }
            default -> {
                status = 500;
                type = "internal";
                LOG.error("request {} failed", requestId, t);
                detail = "internal error (request " + requestId + "); the daemon log has the details";
            }
        }
        if (response.isCommitted()) {
            LOG.warn("request {} failed after the response started: {}", requestId, t.toString());
            callback.failed(t);
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", PROBLEMS + type);
        body.put("title", type.replace('-', ' '));
        body.put("status", status);
        body.put("detail", detail);
        body.put("instance", requestId);
        if (field != null) {
            body.put("field", field);
        }
        body.putAll(extra);
        try {
            byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
            try (OutputStream out = Content.Sink.asOutputStream(response)) {
                out.write(bytes);
            }
            callback.succeeded();
        } catch (Exception e) {
            callback.failed(e);
        }
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
