package dev.burrow.daemon.api;

import dev.burrow.daemon.aws.AwsAuthenticator;
import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.aws.SignedRequest;
import dev.burrow.daemon.images.ImageExistsException;
import dev.burrow.daemon.images.InvalidRequestException;
import dev.burrow.daemon.ingress.Ingress;
import dev.burrow.daemon.ingress.IngressException;
import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.microvms.EngineFailure;
import dev.burrow.daemon.microvms.HookFailedException;
import dev.burrow.daemon.microvms.RetryableException;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.IdempotencyKeys;
import dev.burrow.daemon.store.Principal;
import dev.burrow.daemon.store.QuotaExceededException;
import dev.burrow.daemon.tokens.Tokens;
import dev.burrow.daemon.trace.Spans;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.VirtualThreadPool;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * burrowd's HTTP server: Jetty core handlers on virtual threads, one route table, bearer-key
 * auth, a Host allowlist, per-tenant caps, request ids on every response and in the log's MDC,
 * and every error — Jetty's own included — as problem+json (never a stack trace).
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    /** Threads beyond one per connection: Jetty's own tasks (accepting, the selector's). */
    private static final int THREAD_HEADROOM = 64;
    /** How long a stopping daemon lets open streams write their last line. */
    private static final Duration STOP_DRAIN = Duration.ofSeconds(2);

    private final Server server;
    private final ServerConnector connector;
    private final List<Route> routes = new ArrayList<>();
    private final ApiKeys keys;
    private final ApiLimits limits;
    private final HostCheck hosts;
    private final TenantGate gate;
    private final ConnectionGuard guard;
    private final ScheduledExecutorService scans;
    private IdempotencyKeys idempotency;
    private Ingress ingress;
    private final Set<Route> idempotent = new HashSet<>();
    private final Set<Route> streamedIdempotent = new HashSet<>();
    /** WebSocket routes: authenticated by key or by a subprotocol token, Origin-checked, upgraded by their handler. */
    private final Set<Route> webSockets = new HashSet<>();
    private final ServerWebSocketContainer sockets;
    private final WebSocketAuth socketAuth;
    /** Routes of the Lambda MicroVMs door (SPEC §8): SigV4 instead of a bearer key, AWS's error shape. */
    private final Set<Route> awsRoutes = new HashSet<>();
    private AwsAuthenticator awsAuth = AwsAuthenticator.refuseAll();
    private volatile boolean stopping;

    public ApiServer(String host, int port, ApiKeys keys, ApiLimits limits) {
        this.keys = keys;
        this.limits = limits;
        this.hosts = new HostCheck(host, limits.domain());
        this.gate = new TenantGate(limits.maxInFlightPerTenant(), limits.maxStreamsPerTenant());
        this.guard = new ConnectionGuard(limits);
        // each connection runs at most one request at a time (HTTP/1.1), so this many threads never run out
        this.server = new Server(new VirtualThreadPool(limits.maxConnections() + THREAD_HEADROOM));
        HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(limits.requestHeaderBytes());
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        this.connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        connector.addBean(guard);
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), server));
        server.setErrorHandler(new ProblemErrorHandler());
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Spans.run(request.getMethod(), Request.getPathInContext(request), () -> dispatch(request, response, callback));
                return true;
            }
        });
        this.sockets = ServerWebSocketContainer.ensure(server);
        this.socketAuth = new WebSocketAuth(keys);
        this.scans = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("burrowd-connection-scan").factory());
    }

    public ApiServer route(String method, String template, Route.Handler handler) {
        routes.add(Route.of(method, template, !template.startsWith("/healthz") && !template.startsWith("/readyz"), handler));
        return this;
    }

    /** A route without an API key: it checks its own credential (the browser terminal's pty token and cookie). */
    public ApiServer publicRoute(String method, String template, Route.Handler handler) {
        routes.add(Route.of(method, template, false, handler));
        return this;
    }

    /** A creating POST: an Idempotency-Key makes a retry return the first result instead of creating twice (SPEC §0). */
    public ApiServer idempotentRoute(String method, String template, Route.Handler handler) {
        route(method, template, handler);
        idempotent.add(routes.getLast());
        return this;
    }

    /** A creating POST with a streamed body: the Idempotency-Key alone identifies it (the body is not hashed). */
    public ApiServer idempotentStreamRoute(String method, String template, Route.Handler handler) {
        idempotentRoute(method, template, handler);
        streamedIdempotent.add(routes.getLast());
        return this;
    }

    /** A WebSocket endpoint (GET): its handler validates, then upgrades with {@link Call#upgrade}. */
    ApiServer webSocketRoute(String template, Route.Handler handler) {
        route("GET", template, handler);
        webSockets.add(routes.getLast());
        return this;
    }

    /** The store that checks the tokens browsers offer as WebSocket subprotocols. */
    public ApiServer webSocketTokens(Tokens tokens) {
        socketAuth.tokens(tokens);
        return this;
    }

    ServerWebSocketContainer sockets() {
        return sockets;
    }

    public ApiServer idempotency(IdempotencyKeys keys) {
        this.idempotency = keys;
        return this;
    }

    /** The ingress endpoint: requests for {@code {port}-{id}.<domain>} and {@code /proxy/…} go there instead of the routes. */
    public ApiServer ingress(Ingress ingress) {
        this.ingress = ingress;
        return this;
    }

    /**
     * An operation of the Lambda MicroVMs API (SPEC §8): the caller is found by {@link
     * #awsAuthenticator} from the request's SigV4 signature (the body is read ahead to check its
     * hash), and every error leaves as {@link AwsErrors} renders it.
     */
    public ApiServer awsRoute(String method, String template, Route.Handler handler) {
        routes.add(Route.of(method, template, true, handler));
        awsRoutes.add(routes.getLast());
        return this;
    }

    public ApiServer awsAuthenticator(AwsAuthenticator auth) {
        this.awsAuth = auth;
        return this;
    }

    public ApiServer adminRoute(String method, String template, Route.Handler handler) {
        Route r = Route.of(method, template, true, handler);
        routes.add(new Route(r.method(), r.template(), r.pattern(), true, true, r.handler()));
        return this;
    }

    /** A creating POST for admin keys only, with an Idempotency-Key as {@link #idempotentRoute}. */
    public ApiServer idempotentAdminRoute(String method, String template, Route.Handler handler) {
        adminRoute(method, template, handler);
        idempotent.add(routes.getLast());
        return this;
    }

    public void start() throws Exception {
        server.start();
        hosts.port(port());
        long period = ConnectionGuard.SCAN_PERIOD.toMillis();
        scans.scheduleWithFixedDelay(this::scan, period, period, TimeUnit.MILLISECONDS);
    }

    private void scan() {
        try {
            guard.scan();
        } catch (RuntimeException e) {
            LOG.warn("the connection scan failed: {}", e.toString());
        }
    }

    public int port() {
        return connector.getLocalPort();
    }

    boolean stopping() {
        return stopping;
    }

    private void dispatch(Request request, Response response, Callback callback) {
        String requestId = Problems.requestId(request);
        response.getHeaders().put(Problems.REQUEST_ID, requestId);
        MDC.put("requestId", requestId);
        String path = Request.getPathInContext(request);
        boolean aws = AwsErrors.isAwsPath(path);
        if (aws) {
            response.getHeaders().put(AwsErrors.REQUEST_ID, requestId);
        }
        Call call = null;
        try {
            String misdirected = hosts.reject(request.getHeaders().get(HttpHeader.HOST));
            if (misdirected != null) {
                throw new ApiException(421, "misdirected-request", null, misdirected);
            }
            Ingress.Target target = ingress == null ? null : ingress.target(request);
            if (target != null) {
                ingress.serve(request, response, callback, target, requestId);
                return;
            }
            Route route = null;
            Map<String, String> params = null;
            Set<String> allowed = new LinkedHashSet<>();
            try (Spans.Step step = Spans.time("route")) {
                for (Route r : routes) {
                    Map<String, String> m = r.match(path);
                    if (m != null) {
                        allowed.add(r.method());
                        if (route == null && r.method().equals(request.getMethod())) {
                            route = r;
                            params = m;
                        }
                    }
                }
            }
            if (route == null && aws) {
                throw AwsErrors.unknownOperation(request.getMethod(), path);
            }
            if (route == null) {
                if (allowed.isEmpty()) {
                    throw ApiException.notFound("no such endpoint: " + path);
                }
                throw new ApiException(405, "method-not-allowed", null, request.getMethod() + " is not allowed on " + path
                        + "; allowed: " + String.join(", ", allowed), Map.of(), Map.of(HttpHeader.ALLOW.asString(), String.join(", ", allowed)));
            }
            if (params.containsKey("id")) {
                MDC.put("microvm", params.get("id"));
            }
            call = new Call(request, response, requestId, params, limits, server.getScheduler(), gate, this);
            if (awsRoutes.contains(route)) {
                call.aws = awsAuth.authenticate(signed(request, call.readAhead()));
                call.principal = call.aws.principal();
                call.holdCall();
            } else if (webSockets.contains(route)) {
                // a socket holds a stream slot (taken by its handler) for as long as it is open, not a call slot
                call.principal = socketAuth.authenticate(request, params.get("id"));
                call.upgradeCallback = callback;
            } else if (route.authenticated()) {
                try (Spans.Step step = Spans.time("auth")) {
                    call.principal = authenticate(request);
                }
                if (route.adminOnly() && !call.principal.admin()) {
                    throw new ApiException(403, "forbidden", null, "this call needs an admin key");
                }
                call.holdCall();
            }
            String idemKey = request.getHeaders().get("Idempotency-Key");
            if (idemKey != null && (idemKey.isEmpty() || idemKey.length() > 255)) {
                throw ApiException.badRequest("Idempotency-Key", "Idempotency-Key must be 1 to 255 characters");
            }
            if (idemKey != null && idempotency != null && idempotent.contains(route)) {
                handleIdempotently(route, call, idemKey, path);
            } else {
                route.handler().handle(call);
            }
            if (!call.upgraded) {
                callback.succeeded();
            }
        } catch (Throwable t) {
            if (!(t instanceof EofException) && !(t instanceof StreamOut.Stalled) && !response.isCommitted()) {
                Call.drainBeforeError(request, server.getScheduler(), limits.bodyDeadline());
            }
            if (aws) {
                awsProblem(response, callback, requestId, t);
            } else {
                problem(response, callback, requestId, t);
            }
        } finally {
            if (call != null) {
                call.releasePermits();
            }
            MDC.remove("requestId");
            MDC.remove("microvm");
        }
    }

    /** {@code key} is 1..255 characters: dispatch checks it on every route before this runs. */
    private void handleIdempotently(Route route, Call call, String key, String path) throws Exception {
        // a streamed body (an upload) is not read ahead: its key names the upload, so a retry with
        // the same key answers the first upload's result whatever bytes it carries
        byte[] body = streamedIdempotent.contains(route) ? new byte[0] : call.readAhead();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update((call.request.getMethod() + " " + path + "\n").getBytes(StandardCharsets.UTF_8));
        String hash = HexFormat.of().formatHex(sha.digest(body));
        switch (idempotency.reserve(call.tenant(), key, call.request.getMethod(), path, hash)) {
            case IdempotencyKeys.Reservation.Replay r -> {
                call.response.getHeaders().put("Idempotent-Replayed", "true");
                call.sendRaw(r.stored().status(), r.stored().response().getBytes(StandardCharsets.UTF_8));
            }
            case IdempotencyKeys.Reservation.Mismatch m -> throw new ApiException(422, "unprocessable", "Idempotency-Key",
                    "this Idempotency-Key was used for a different request; use a new key for a new request");
            case IdempotencyKeys.Reservation.InProgress p -> throw new ApiException(409, "conflict", "Idempotency-Key",
                    "a request with this Idempotency-Key is still being handled; retry shortly");
            case IdempotencyKeys.Reservation.Proceed p -> {
                // the result is recorded before the client can read it: a retry sent the moment the
                // answer arrives finds it, not a key "still being handled"
                boolean[] recorded = {false};
                Runnable record = () -> {
                    idempotency.complete(call.tenant(), key, call.sentStatus,
                            new String(call.sentBody == null ? new byte[0] : call.sentBody, StandardCharsets.UTF_8));
                    recorded[0] = true;
                };
                call.beforeSend = record;
                try {
                    route.handler().handle(call);
                } catch (Exception | Error e) {
                    if (!recorded[0]) {
                        idempotency.release(call.tenant(), key);
                    }
                    throw e;
                }
                if (!recorded[0]) {
                    record.run();
                }
            }
        }
    }

    /** The request as SigV4 signs it: raw path and query, lower-cased header names, the body read ahead. */
    private static SignedRequest signed(Request request, byte[] body) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (HttpField f : request.getHeaders()) {
            headers.computeIfAbsent(f.getName().toLowerCase(Locale.ROOT), n -> new ArrayList<>()).add(f.getValue());
        }
        return new SignedRequest(request.getMethod(), request.getHttpURI().getPath(), request.getHttpURI().getQuery(), headers, body);
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
        if (connectionEnded(callback, requestId, t)) {
            return;
        }
        int status;
        String type;
        String field = null;
        String detail = t.getMessage();
        Map<String, Object> extra = Map.of();
        Map<String, String> headers = Map.of();
        switch (t) {
            case ApiException a -> {
                status = a.status;
                type = a.type;
                field = a.field;
                extra = a.extra;
                headers = a.headers;
            }
            case IngressException e -> {
                status = e.status();
                type = e.type();
            }
            case InvalidRequestException e -> {
                status = 400;
                type = "invalid-request";
                field = e.field();
                if (field != null) {
                    extra = Map.of("errors", List.of(FieldErrors.entry(field, detail)));
                }
            }
            case NotFoundException e -> {
                status = 404;
                type = "not-found";
            }
            case QuotaExceededException e -> {
                status = 429;
                type = "quota-exceeded";
                extra = new LinkedHashMap<>();
                extra.put("quota", e.quota());
                extra.put("limit", e.limit());
                extra.put("current", e.current());
                extra.put("requested", e.requested());
            }
            case ImageExistsException e -> {
                status = 409;
                type = "conflict";
            }
            case ConflictException e -> {
                status = 409;
                type = "conflict";
            }
            case RetryableException e -> {
                status = 503;
                type = "unavailable";
                headers = Map.of("Retry-After", Integer.toString(e.retryAfterSeconds()));
            }
            case HookFailedException e -> {
                status = 422;
                type = e.hook() + "-hook-failed";
                extra = Map.of("microvmId", e.microVmId());
            }
            case EngineFailure e -> {
                boolean full = String.valueOf(e.getMessage()).contains("No space left");
                status = switch (e.kind()) {
                    case INCOMPATIBLE -> 409;
                    case TIMEOUT -> 504;
                    case IO -> full ? 507 : 500;
                    case VMM_DIED -> 502;
                };
                type = switch (e.kind()) {
                    case INCOMPATIBLE -> "template-incompatible";
                    case TIMEOUT -> "engine-timeout";
                    case IO -> full ? "insufficient-storage" : "engine-io";
                    case VMM_DIED -> "vmm-died";
                };
                LOG.warn("request {}: {}", requestId, e.getMessage());
            }
            default -> {
                status = 500;
                type = "internal";
                LOG.error("request {} failed", requestId, t);
                detail = "internal error (request " + requestId + "); the daemon log has the details";
            }
        }
        byte[] body = Problems.body(status, type, detail, requestId, field, extra);
        int code = status;
        Map<String, String> with = headers;
        answer(response, callback, requestId, t, () -> Problems.write(response, callback, code, body, with));
    }

    /** An error on the AWS door: AWS's shape (x-amzn-ErrorType, JSON {message, …}), never problem+json. */
    private static void awsProblem(Response response, Callback callback, String requestId, Throwable t) {
        if (connectionEnded(callback, requestId, t)) {
            return;
        }
        AwsError e = AwsErrors.from(t, requestId);
        if (e.status() >= 500) {
            LOG.error("request {} failed", requestId, t);
        }
        answer(response, callback, requestId, t, () -> AwsErrors.write(response, callback, requestId, e));
    }

    /** The client went away or stopped reading (or the server is stopping): nothing to answer, nothing broken here. */
    private static boolean connectionEnded(Callback callback, String requestId, Throwable t) {
        if (t instanceof EofException || t instanceof StreamOut.Stalled) {
            LOG.debug("request {}: the connection ended: {}", requestId, t.toString());
            callback.failed(t);
            return true;
        }
        return false;
    }

    /** Writes an error answer, unless the response has started (then the connection fails: half an answer is no answer). */
    private static void answer(Response response, Callback callback, String requestId, Throwable t, Runnable write) {
        if (response.isCommitted()) {
            LOG.warn("request {} failed after the response started: {}", requestId, t.toString());
            callback.failed(t);
            return;
        }
        try {
            response.reset();
            response.getHeaders().put(Problems.REQUEST_ID, requestId);
            write.run();
        } catch (RuntimeException x) {
            callback.failed(x);
        }
    }

    @Override
    public void close() throws Exception {
        stopping = true;
        // streams look at stopping() between lines and end with their reason
        if (!gate.awaitNoStreams(STOP_DRAIN)) {
            LOG.info("{} stream(s) still open after {}; closing them", gate.openStreams(), STOP_DRAIN);
        }
        scans.shutdownNow();
        server.stop();
        if (ingress != null) {
            ingress.close();
        }
    }
}
