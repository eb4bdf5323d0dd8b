package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import javax.net.ssl.SSLParameters;

/**
 * burrowd's REST API: JSON in, JSON out, problem+json errors as {@link BurrowException}. The
 * calls the hot verbs make (GET and POST of JSON, exec's stream) go over {@link PlainHttp} to an
 * {@code http:} burrowd; everything else, and every {@code https:} call, over the JDK client.
 */
public final class ApiClient {
    /** How many field errors of one 400 the message lists; the rest are counted. */
    static final int MAX_FIELD_ERRORS_SHOWN = 20;

    private final String baseUrl;
    private final String apiKey;
    /** An http: burrowd: the hot calls go over {@link PlainHttp}, the rest over the JDK client. */
    private final boolean plain;
    private HttpClient http;

    public ApiClient(String baseUrl, String apiKey) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.apiKey = apiKey;
        this.plain = plainHttp(this.baseUrl);
    }

    /** The JDK client, made on first use: the hot verbs' calls to an http: burrowd never need it. */
    HttpClient http() {
        if (http == null) {
            HttpClient.Builder builder = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofMillis(PlainHttp.CONNECT_TIMEOUT_MILLIS))
                    .followRedirects(HttpClient.Redirect.NEVER);
            // an http: burrowd never needs TLS (redirects are not followed): skip the default context's set-up
            if (plain) builder.sslContext(NoTls.context()).sslParameters(new SSLParameters());
            http = builder.build();
        }
        return http;
    }

    /** Whether the URL is plain http: (any case), so no request of this client can need TLS. */
    static boolean plainHttp(String url) {
        return url.regionMatches(true, 0, "http:", 0, 5);
    }

    public static ApiClient from(ClientConfig config) {
        return new ApiClient(config.url(), config.apiKey());
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** A path segment, percent-encoded. */
    public static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A query parameter value, percent-encoded. */
    public static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path));
        if (apiKey != null && path.startsWith("/v1/")) b.header("Authorization", "Bearer " + apiKey);
        return b;
    }

    public JsonNode get(String path) {
        if (plain) return json(plainText("GET", path, null));
        return json(send(request(path).GET().header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString()));
    }

    public String getText(String path) {
        return send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    public JsonNode post(String path, JsonNode body) {
        if (plain) return json(plainText("POST", path, body));
        return json(send(jsonRequest(path, "POST", body).build(), HttpResponse.BodyHandlers.ofString()));
    }

    /** A POST without a body (lifecycle calls such as suspend and resume). */
    public JsonNode postEmpty(String path) {
        return json(send(request(path).header("Accept", "application/json").POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString()));
    }

    public JsonNode patch(String path, JsonNode body) {
        return json(send(jsonRequest(path, "PATCH", body).build(), HttpResponse.BodyHandlers.ofString()));
    }

    public JsonNode put(String path, JsonNode body) {
        return json(send(jsonRequest(path, "PUT", body).build(), HttpResponse.BodyHandlers.ofString()));
    }

    public JsonNode delete(String path) {
        return json(send(request(path).DELETE().build(), HttpResponse.BodyHandlers.ofString()));
    }

    HttpRequest.Builder jsonRequest(String path, String method, JsonNode body) {
        HttpRequest.Builder b = request(path)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(Json.compact(body)));
        if (method.equals("POST")) b.header("Idempotency-Key", UUID.randomUUID().toString());
        return b;
    }

    /** POSTs JSON and hands back the streamed response (errors already turned into exceptions). */
    public HttpResponse<InputStream> postStreaming(String path, JsonNode body) {
        return send(jsonRequest(path, "POST", body).header("Accept", "application/x-ndjson, application/json").build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    /** POSTs JSON and hands back the response body as it streams in (exec's NDJSON); errors already turned into exceptions. */
    public InputStream postForStream(String path, JsonNode body) {
        if (!plain) return postStreaming(path, body).body();
        try {
            PlainHttp.Response resp = PlainHttp.exchange(URI.create(baseUrl + path), "POST",
                    plainHeaders(path, "application/x-ndjson, application/json", true), Json.compact(body).getBytes(StandardCharsets.UTF_8));
            if (resp.status() >= 400) throw problem(resp.status(), readBody(resp.body()));
            return resp.body();
        } catch (IOException e) {
            throw transportError(e);
        }
    }

    /** A JSON call over {@link PlainHttp}: the whole answer as text, a status of 400 or more as the problem it is. */
    private String plainText(String method, String path, JsonNode body) {
        byte[] bytes = body == null ? null : Json.compact(body).getBytes(StandardCharsets.UTF_8);
        try {
            PlainHttp.Response resp = PlainHttp.exchange(URI.create(baseUrl + path), method,
                    plainHeaders(path, "application/json", body != null), bytes);
            String text;
            try (InputStream in = resp.body()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (resp.status() >= 400) throw problem(resp.status(), text);
            return text;
        } catch (IOException e) {
            throw transportError(e);
        }
    }

    /** The headers {@link #request} and {@link #jsonRequest} give the JDK client's requests. */
    private Map<String, String> plainHeaders(String path, String accept, boolean jsonPost) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (apiKey != null && path.startsWith("/v1/")) headers.put("Authorization", "Bearer " + apiKey);
        headers.put("Accept", accept);
        if (jsonPost) {
            headers.put("Content-Type", "application/json");
            headers.put("Idempotency-Key", UUID.randomUUID().toString());
        }
        return headers;
    }

    /** GETs and hands back the streamed response. */
    public HttpResponse<InputStream> getStreaming(String path) {
        return send(request(path).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    /** POSTs a raw byte stream ({@code length} < 0: chunked) and returns the JSON answer. */
    public JsonNode postStream(String path, Supplier<InputStream> body, long length) {
        HttpRequest.BodyPublisher publisher = HttpRequest.BodyPublishers.ofInputStream(body);
        if (length >= 0) publisher = HttpRequest.BodyPublishers.fromPublisher(publisher, length);
        HttpRequest req = request(path)
                .header("Content-Type", "application/octet-stream")
                .header("Accept", "application/json")
                .POST(publisher)
                .build();
        return json(send(req, HttpResponse.BodyHandlers.ofString()));
    }

    /** Every item of a list, following {@code nextCursor}. */
    public List<JsonNode> listAll(String path) {
        List<JsonNode> items = new ArrayList<>();
        String cursor = null;
        for (int page = 0; page < 10_000; page++) {
            String sep = path.contains("?") ? "&" : "?";
            String p = path + sep + "limit=500" + (cursor == null ? "" : "&cursor=" + q(cursor));
            JsonNode node = get(p);
            JsonNode arr = node == null ? null : node.get("items");
            if (arr != null && arr.isArray()) arr.forEach(items::add);
            String next = Json.text(node, "nextCursor");
            if (next.isEmpty() || next.equals(cursor)) break;
            cursor = next;
        }
        return items;
    }

    /** The status of an unauthenticated GET, or -1 when burrowd cannot be reached. */
    public int probe(String path, Duration timeout) {
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout).GET().build();
            return http().send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) {
        HttpResponse<T> resp;
        try {
            resp = http().send(req, handler);
        } catch (IOException e) {
            throw transportError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BurrowException("interrupted");
        }
        if (resp.statusCode() >= 400) {
            String body = readBody(resp.body());
            throw problem(resp.statusCode(), body);
        }
        return resp;
    }

    private static String readBody(Object body) {
        if (body == null) return "";
        if (body instanceof String s) return s;
        if (body instanceof InputStream in) {
            try (in) {
                return new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }
        return body.toString();
    }

    BurrowException transportError(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException
                    || t instanceof UnresolvedAddressException) {
                return new BurrowException(unreachable(baseUrl), e);
            }
        }
        if (e instanceof InterruptedIOException) return new BurrowException("request to burrowd timed out", e);
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new BurrowException("talking to burrowd at " + baseUrl + ": " + msg, e);
    }

    public static String unreachable(String url) {
        return "cannot reach burrowd at " + url + ": is it running? try ./burrow up";
    }

    BurrowException problem(int status, String body) {
        String detail = null, type = null;
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            if (node != null && node.isObject()) {
                detail = Json.text(node, "detail");
                if (detail.isEmpty()) detail = Json.text(node, "title");
                String all = fieldErrors(node.get("errors"));
                if (all != null) detail = all;
                String t = Json.text(node, "type");
                if (!t.isEmpty()) type = t.substring(t.lastIndexOf('/') + 1);
            }
        } catch (IOException ignored) {
            // not JSON
        }
        if (detail == null || detail.isEmpty()) {
            String trimmed = body == null ? "" : body.strip();
            detail = "HTTP " + status + (trimmed.isEmpty() ? "" : ": " + (trimmed.length() > 500 ? trimmed.substring(0, 500) : trimmed));
        }
        if (status == 429 && "quota-exceeded".equals(type)) {
            detail += quotaNote(body);
        }
        if (status == 401 && apiKey == null) {
            detail += " (no API key: run ./burrow up, or set BURROW_API_KEY)";
        }
        return new BurrowException(detail, status, type, null);
    }

    /**
     * Every field error of a 400 that has more than one ({@code errors: [{field, detail}]}), one
     * per line, so the user sees them all as burrowd wrote them; null when there is one or none
     * (the problem's own detail says it).
     */
    static String fieldErrors(JsonNode errors) {
        if (errors == null || !errors.isArray() || errors.size() < 2) return null;
        List<String> lines = new ArrayList<>();
        int shown = 0;
        for (JsonNode e : errors) {
            if (shown++ == MAX_FIELD_ERRORS_SHOWN) {
                lines.add("… and " + (errors.size() - MAX_FIELD_ERRORS_SHOWN) + " more");
                break;
            }
            String detail = Json.text(e, "detail");
            String field = Json.text(e, "field");
            lines.add(detail.isEmpty() ? field : detail);
        }
        return errors.size() + " errors in the request:\n  " + String.join("\n  ", lines);
    }

    /** {@code (quota vcpus: limit 8, current 6, requested 4)} from a quota-exceeded problem's members; empty without them. */
    static String quotaNote(String body) {
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            String quota = Json.text(node, "quota");
            if (quota.isEmpty()) return "";
            StringBuilder sb = new StringBuilder(" (quota ").append(quota);
            String sep = ": ";
            for (String member : new String[] {"limit", "current", "requested"}) {
                String v = Json.text(node, member);
                if (v.isEmpty()) continue;
                sb.append(sep).append(member).append(' ').append(v);
                sep = ", ";
            }
            return sb.append(')').toString();
        } catch (IOException e) {
            return "";
        }
    }

    private static JsonNode json(HttpResponse<String> resp) {
        return json(resp.body());
    }

    private static JsonNode json(String body) {
        if (body == null || body.isBlank()) return null;
        return Json.parse(body);
    }
}
