package dev.burrow.daemon.ingress;

import dev.burrow.daemon.tokens.TokenSubprotocols;
import dev.burrow.daemon.tokens.Grant;
import dev.burrow.daemon.tokens.Issued;
import dev.burrow.daemon.tokens.Scope;
import dev.burrow.daemon.tokens.Tokens;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The ingress endpoint (SPEC §3): routes {@code {port}-{id}.<domain>} and {@code /proxy/{id}/…}
 * to a guest port once an {@code ingress} token for that microVM and port is shown (header,
 * WebSocket subprotocol, cookie, or a one-time {@code ?burrow_token=} traded for the cookie).
 * The hooks port is never reached. Every forwarded request holds the microVM (auto-resuming it
 * when its policy says so) until its response, or its tunnel, ends.
 */
public final class Ingress implements AutoCloseable {

    /** The path-based endpoint: {@code /proxy/{id}/…}. */
    public static final String PATH_PREFIX = "/proxy/";
    /** The header Lambda MicroVMs' clients send their auth token in (accepted beside {@code X-Burrow-Token}). */
    public static final String AWS_TOKEN_HEADER = Headers.AWS_TOKEN_HEADER;
    static final String QUERY_TOKEN = "burrow_token";
    private static final Pattern ID = Pattern.compile("[a-z0-9]{1,40}");

    private final Pattern hostPattern;
    private final Tokens tokens;
    private final Guests guests;
    private final Clock clock;
    private final Watchdog watchdog = new Watchdog();
    private final GuestPool pool;
    private final Forwarder forwarder;

    public Ingress(String domain, Tokens tokens, Guests guests, IngressSettings settings, Clock clock) {
        this.hostPattern = Pattern.compile("([0-9]{1,5})-([a-z0-9]{1,40})\\." + Pattern.quote(domain.toLowerCase(Locale.ROOT)));
        this.tokens = tokens;
        this.guests = guests;
        this.clock = clock;
        this.pool = new GuestPool(settings.poolPerTarget(), settings.poolIdle().toNanos());
        this.forwarder = new Forwarder(settings, pool, watchdog);
        watchdog.every(settings.poolIdle(), pool::sweep);
    }

    /** Where a request goes: the microVM, the port the host name names (else null), and the guest's path and query. */
    public record Target(String microVmId, Integer hostPort, String path, String query, boolean hostBased) {}

    /** The ingress target of a request, or null when it is an API request. */
    public Target target(Request request) {
        String host = request.getHeaders().get(HttpHeader.HOST);
        if (host != null) {
            String name = host.toLowerCase(Locale.ROOT);
            int colon = name.lastIndexOf(':');
            if (colon > name.lastIndexOf(']')) {
                name = name.substring(0, colon);
            }
            Matcher m = hostPattern.matcher(name);
            if (m.matches()) {
                int port = Integer.parseInt(m.group(1));
                if (port < 1 || port > 65535) {
                    throw IngressException.badRequest("the port in the host name must be 1..65535; got " + port);
                }
                return new Target(m.group(2), port, request.getHttpURI().getPath(), request.getHttpURI().getQuery(), true);
            }
        }
        String path = request.getHttpURI().getPath();
        if (path != null && path.startsWith(PATH_PREFIX)) {
            String rest = path.substring(PATH_PREFIX.length());
            int slash = rest.indexOf('/');
            String id = slash < 0 ? rest : rest.substring(0, slash);
            return new Target(id, null, slash < 0 ? "/" : rest.substring(slash), request.getHttpURI().getQuery(), false);
        }
        return null;
    }

    /** Serves an ingress request (its {@link #target} not null) and completes {@code callback}; errors before the response are thrown. */
    public void serve(Request request, Response response, Callback callback, Target target, String requestId) throws Exception {
        if (!ID.matcher(target.microVmId()).matches()) {
            throw new IngressException(404, "not-found", "no microVM " + printable(target.microVmId()));
        }
        QueryToken fromQuery = queryToken(target.query());
        if (fromQuery.token() != null && !target.hostBased()) {
            throw IngressException.badRequest("?" + QUERY_TOKEN + "= works on the host-based endpoint only ({port}-{id}.<domain>); "
                    + "send the token in the " + Headers.TOKEN_HEADER + " header here");
        }
        boolean upgrade = Headers.upgrade(request.getHeaders());
        String raw = fromQuery.token() != null ? fromQuery.token() : credential(request);
        if (raw == null) {
            throw IngressException.unauthorized("send an ingress token: the " + Headers.TOKEN_HEADER + " header, the WebSocket subprotocols "
                    + TokenSubprotocols.PROTOCOL + " and " + TokenSubprotocols.TOKEN_PREFIX + "<token>, or ?" + QUERY_TOKEN
                    + "= once on a host-based URL (mint one with POST /v1/microvms/{id}/tokens)");
        }
        Grant grant = tokens.verify(raw).orElseThrow(() -> IngressException.unauthorized("the ingress token is unknown or expired"));
        if (!grant.microVmId().equals(target.microVmId())) {
            throw IngressException.unauthorized("the ingress token is for another microVM");
        }
        if (grant.scope() != Scope.INGRESS) {
            throw IngressException.forbidden("the token's scope is " + grant.scope().name().toLowerCase(Locale.ROOT)
                    + "; the ingress endpoint takes ingress tokens");
        }
        Guests.Ports ports = guests.ports(grant.tenantId(), target.microVmId());
        int port = port(request, target, ports);
        if (ports.hooksPort().isPresent() && ports.hooksPort().getAsInt() == port) {
            throw IngressException.forbidden("port " + port + " is the image version's hooks port, which ingress never reaches");
        }
        if (!grant.ports().allows(port)) {
            throw IngressException.forbidden("the ingress token does not allow port " + port + "; it allows " + grant.ports().toJson());
        }
        if (fromQuery.token() != null) {
            redirectWithCookie(request, response, callback, raw, target, fromQuery.rest());
            return;
        }
        if (upgrade) {
            checkOrigin(request);
        }
        Forwarder.Outgoing out = outgoing(request, target, upgrade, requestId);
        Guests.Visit visit = guests.visit(grant.tenantId(), target.microVmId(), requestId);
        forwarder.forward(request, response, callback, visit, target.microVmId(), port, out);
    }

    private static String credential(Request request) {
        String h = request.getHeaders().get(Headers.TOKEN_HEADER);
        if (h == null) {
            h = request.getHeaders().get(Headers.AWS_TOKEN_HEADER);
        }
        if (h == null) {
            h = Headers.subprotocolToken(request.getHeaders().getValuesList(HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL));
        }
        if (h == null) {
            h = Headers.cookie(request.getHeaders().getValuesList(HttpHeader.COOKIE));
        }
        return h == null ? null : h.strip();
    }

    /**
     * The guest port: the host name's, else {@code X-Burrow-Port}, else Lambda MicroVMs'
     * {@code X-aws-proxy-port} or its WebSocket subprotocol {@code lambda-microvms.port.<n>}
     * (SPEC §8), else the version's ingressPort. Two port headers that disagree are a 400.
     */
    private static int port(Request request, Target target, Guests.Ports ports) {
        if (target.hostPort() != null) {
            return target.hostPort();
        }
        Integer burrow = portValue(request.getHeaders().get(Headers.PORT_HEADER), Headers.PORT_HEADER);
        Integer aws = portValue(request.getHeaders().get(Headers.AWS_PORT_HEADER), Headers.AWS_PORT_HEADER);
        if (burrow != null && aws != null && !burrow.equals(aws)) {
            throw IngressException.badRequest(Headers.PORT_HEADER + " (" + burrow + ") and " + Headers.AWS_PORT_HEADER + " (" + aws
                    + ") name different ports; send one");
        }
        if (burrow != null || aws != null) {
            return burrow != null ? burrow : aws;
        }
        String protocol = Headers.awsPortProtocol(request.getHeaders().getValuesList(HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL));
        if (protocol != null) {
            Integer p = portValue(protocol.substring(Headers.AWS_PORT_PROTOCOL.length()), "the subprotocol " + Headers.AWS_PORT_PROTOCOL + "<n>");
            if (p != null) {
                return p;
            }
        }
        return ports.defaultPort();
    }

    /** A port header's value (null when absent); anything but 1..65535 is a 400 naming {@code what}. */
    private static Integer portValue(String value, String what) {
        if (value == null) {
            return null;
        }
        try {
            int p = Integer.parseInt(value.strip());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw IngressException.badRequest(what + " must be a port number 1..65535; got " + printable(value));
    }

    /** The query's burrow_token and the query without it. */
    record QueryToken(String token, String rest) {}

    static QueryToken queryToken(String query) {
        if (query == null || query.isEmpty()) {
            return new QueryToken(null, query);
        }
        String token = null;
        StringJoiner rest = new StringJoiner("&");
        for (String part : query.split("&", -1)) {
            if (part.startsWith(QUERY_TOKEN + "=")) {
                token = part.substring(QUERY_TOKEN.length() + 1);
            } else {
                rest.add(part);
            }
        }
        return new QueryToken(token, rest.length() == 0 ? null : rest.toString());
    }

    /** Trades the URL's token for the cookie one and sends the browser back to the same URL without it. */
    private void redirectWithCookie(Request request, Response response, Callback callback, String raw, Target target, String rest) {
        Issued issued = tokens.exchange(raw).orElseThrow(() -> IngressException.unauthorized("the ingress token is unknown or expired"));
        long maxAge = Math.max(0, Duration.between(clock.instant(), issued.grant().expiresAt()).toSeconds());
        response.setStatus(302);
        response.getHeaders().put(HttpHeader.LOCATION, target.path() + (rest == null ? "" : "?" + rest));
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(HttpHeader.SET_COOKIE, Headers.COOKIE + "=" + issued.token() + "; Max-Age=" + maxAge
                + "; Path=/; HttpOnly; SameSite=Lax" + (request.isSecure() ? "; Secure" : ""));
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        response.write(true, null, callback);
    }

    /** A WebSocket upgrade must come from a page of the endpoint itself (or from no page at all). */
    private static void checkOrigin(Request request) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        String host = request.getHeaders().get(HttpHeader.HOST);
        if (origin == null) {
            return;
        }
        String o = origin.toLowerCase(Locale.ROOT);
        String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
        if (!o.equals("http://" + h) && !o.equals("https://" + h)) {
            throw IngressException.forbidden("a WebSocket from origin " + printable(origin) + " may not open this endpoint (" + printable(host) + ")");
        }
    }

    private static Forwarder.Outgoing outgoing(Request request, Target target, boolean upgrade, String requestId) {
        List<ResponseHead.Header> headers = new ArrayList<>(Headers.request(request.getHeaders(), upgrade));
        String client = Request.getRemoteAddr(request);
        String prior = request.getHeaders().get("X-Forwarded-For");
        headers.add(new ResponseHead.Header("X-Forwarded-For", prior == null ? client : prior + ", " + client));
        headers.add(new ResponseHead.Header("X-Forwarded-Proto", request.isSecure() ? "https" : "http"));
        String host = request.getHeaders().get(HttpHeader.HOST);
        if (host != null) {
            headers.add(new ResponseHead.Header("X-Forwarded-Host", host));
        }
        if (!target.hostBased()) {
            headers.add(new ResponseHead.Header("X-Forwarded-Prefix", PATH_PREFIX + target.microVmId()));
        }
        headers.add(new ResponseHead.Header(Headers.REQUEST_ID, requestId));
        String query = queryToken(target.query()).rest();
        String fallback = Headers.fallbackProtocol(request.getHeaders().getValuesList(HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL));
        return new Forwarder.Outgoing(request.getMethod(), target.path() + (query == null ? "" : "?" + query), headers, upgrade, fallback);
    }

    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        StringBuilder b = new StringBuilder();
        cut.chars().forEach(c -> b.append(c < 0x20 || c >= 0x7F ? '?' : (char) c));
        return b.toString();
    }

    /** Idle pooled streams (tests and metrics). */
    int pooled() {
        return pool.size();
    }

    @Override
    public void close() {
        watchdog.close();
        pool.closeAll();
    }
}
