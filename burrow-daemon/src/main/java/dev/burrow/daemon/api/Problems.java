package dev.burrow.daemon.api;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** The one way an error leaves the daemon: {@code application/problem+json} with the request id in {@code instance}. */
final class Problems {

    static final String BASE = "https://burrow.dev/problems/";
    static final String REQUEST_ID = "X-Request-Id";
    private static final Pattern CLIENT_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private Problems() {}

    /** The client's X-Request-Id when it is a sane one, else a new id. */
    static String requestId(Request request) {
        return Optional.ofNullable(request.getHeaders().get(REQUEST_ID)).filter(s -> CLIENT_REQUEST_ID.matcher(s).matches())
                .orElseGet(() -> "req_" + UUID.randomUUID().toString().replace("-", ""));
    }

    /** The problem type (last URI segment) of a status the daemon or Jetty answers. */
    static String typeOf(int status) {
        return switch (status) {
            case 400 -> "invalid-request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not-found";
            case 405 -> "method-not-allowed";
            case 408 -> "request-timeout";
            case 409 -> "conflict";
            case 413 -> "payload-too-large";
            case 414 -> "uri-too-long";
            case 421 -> "misdirected-request";
            case 429 -> "too-many-requests";
            case 431 -> "headers-too-large";
            case 501 -> "not-implemented";
            case 503 -> "unavailable";
            case 505 -> "http-version-not-supported";
            default -> status >= 500 ? "internal" : "invalid-request";
        };
    }

    static byte[] body(int status, String type, String detail, String requestId, String field, Map<String, Object> extra) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", BASE + type);
        body.put("title", type.replace('-', ' '));
        body.put("status", status);
        body.put("detail", detail);
        body.put("instance", requestId);
        if (field != null) {
            body.put("field", field);
        }
        body.putAll(extra);
        try {
            return Json.MAPPER.writeValueAsBytes(body);
        } catch (Exception e) {
            throw new IllegalStateException("a problem did not serialize", e);
        }
    }

    /** Writes a problem as the whole response (the response must not be committed yet). */
    static void write(Response response, Callback callback, int status, byte[] body, Map<String, String> headers) {
        response.setStatus(status);
        headers.forEach((k, v) -> response.getHeaders().put(k, v));
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
