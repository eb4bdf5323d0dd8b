package dev.burrow.daemon.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.burrow.daemon.aws.AwsPrincipal;
import dev.burrow.daemon.store.Principal;
import dev.burrow.daemon.trace.Spans;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.eclipse.jetty.websocket.server.WebSocketCreator;

/** One HTTP call as the route handlers see it: path parameters, the caller, JSON in and out, its limits. */
final class Call {

    static final int MAX_JSON_BODY = 1 << 20;

    final Request request;
    final Response response;
    final String requestId;
    final Map<String, String> params;
    final ApiLimits limits;
    private final Scheduler scheduler;
    private final TenantGate gate;
    private final ApiServer server;
    Principal principal;
    /** The signed caller, on a route of the AWS door (null elsewhere). */
    AwsPrincipal aws;
    private Fields query;
    /** The body, when it was read ahead (idempotent calls hash it before the handler runs). */
    byte[] bufferedBody;
    int sentStatus;
    byte[] sentBody;
    /** Runs once, after the status and body are known and before a byte of them is written (an idempotent call records its result there). */
    Runnable beforeSend;
    private final List<TenantGate.Permit> permits = new ArrayList<>();
    /** A WebSocket route's callback, which the upgrade completes (set by the dispatch for those routes only). */
    Callback upgradeCallback;
    /** Whether the handler handed the exchange to the WebSocket container: the dispatch must not complete it. */
    boolean upgraded;

    Call(Request request, Response response, String requestId, Map<String, String> params, ApiLimits limits,
         Scheduler scheduler, TenantGate gate, ApiServer server) {
        this.request = request;
        this.response = response;
        this.requestId = requestId;
        this.params = params;
        this.limits = limits;
        this.scheduler = scheduler;
        this.gate = gate;
        this.server = server;
    }

    String param(String name) {
        return params.get(name);
    }

    /** A query parameter's single value (null when absent); a repeated one is a 400. */
    String query(String name) {
        if (query == null) {
            try {
                query = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
            } catch (RuntimeException e) {
                throw ApiException.badRequest(null, "the query string is not valid UTF-8 percent-encoding");
            }
        }
        List<String> values = query.getValues(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw ApiException.badRequest(name, "give " + name + " at most once");
        }
        return values.getFirst();
    }

    /** A repeatable query parameter's values, in order (empty when absent). */
    List<String> queries(String name) {
        query("");
        List<String> values = query.getValues(name);
        return values == null ? List.of() : List.copyOf(values);
    }

    /** The query parameters other than {@code known}, which a route rejects. */
    List<String> unknownQuery(List<String> known) {
        query("");
        return query.getNames().stream().filter(n -> !known.contains(n)).sorted().toList();
    }

    String tenant() {
        return principal.tenantId();
    }

    /** Takes one of the tenant's stream slots for the rest of this call (429 when none is left). */
    void openStream() {
        permits.add(gate.stream(tenant()));
    }

    /**
     * Hands this call's stream slots to the caller, who closes them when its stream ends (a
     * WebSocket outlives its upgrade call).
     */
    List<TenantGate.Permit> keepPermits() {
        List<TenantGate.Permit> kept = List.copyOf(permits);
        permits.clear();
        return kept;
    }

    /**
     * Upgrades to a WebSocket whose endpoint {@code creator} makes (a WebSocket route only). Once
     * this returns true the container owns the exchange; false means the request was no
     * WebSocket upgrade and nothing was answered.
     */
    boolean upgrade(WebSocketCreator creator) throws Exception {
        if (upgradeCallback == null) {
            throw new IllegalStateException("not a WebSocket route");
        }
        upgraded = server.sockets().upgrade(creator, request, response, upgradeCallback);
        return upgraded;
    }

    void holdCall() {
        permits.add(gate.call(tenant()));
    }

    void releasePermits() {
        permits.forEach(TenantGate.Permit::close);
        permits.clear();
    }

    /** Whether burrowd is stopping: streams end with a reason instead of being cut. */
    boolean stopping() {
        return server.stopping();
    }

    StreamOut stream() {
        return new StreamOut(response, limits.execWriteStall());
    }

    InputStream body() {
        return bufferedBody != null ? new ByteArrayInputStream(bufferedBody) : Content.Source.asInputStream(request);
    }

    /**
     * Fails the request body's reads after {@code deadline} (a client trickling its body); close
     * the result once the body is read.
     */
    AutoCloseable bodyDeadline(Duration deadline) {
        Scheduler.Task task = scheduler.schedule(() -> request.fail(new TimeoutException(
                "the request body was not received within " + deadline.toSeconds() + " s")), deadline.toMillis(), TimeUnit.MILLISECONDS);
        return task::cancel;
    }

    /**
     * Reads and drops a small request body nobody read (≤ 1 MiB declared, within {@code deadline})
     * before an error answer: a client still sending it would otherwise see the connection reset
     * instead of the 404/405/401 that explains what was wrong. Larger or unfinished bodies are
     * left to Jetty, which closes the connection after the answer.
     */
    static void drainBeforeError(Request request, Scheduler scheduler, Duration deadline) {
        long declared = request.getLength();
        if (declared <= 0 || declared > MAX_JSON_BODY) {
            return;
        }
        Scheduler.Task task = scheduler.schedule(() -> request.fail(new TimeoutException("the request body was not received in time")),
                deadline.toMillis(), TimeUnit.MILLISECONDS);
        try (InputStream in = Content.Source.asInputStream(request)) {
            in.skipNBytes(declared);
        } catch (IOException | RuntimeException ignored) {
            // the body was cut or slow: the answer goes out anyway and Jetty closes the connection
        } finally {
            task.cancel();
        }
    }

    /** Reads the JSON body ahead (≤ 1 MiB, within the body deadline), so it can be hashed and still be parsed by the handler. */
    byte[] readAhead() {
        if (bufferedBody == null) {
            try (Spans.Step step = Spans.time("read-body")) {
                bufferedBody = readJsonBytes();
            }
        }
        return bufferedBody;
    }

    private byte[] readJsonBytes() {
        long declared = request.getLength();
        if (declared > MAX_JSON_BODY) {
            throw tooLarge("the request body is larger than 1 MiB");
        }
        try (AutoCloseable deadline = bodyDeadline(limits.bodyDeadline()); InputStream in = Content.Source.asInputStream(request)) {
            byte[] bytes = in.readNBytes(MAX_JSON_BODY + 1);
            if (bytes.length > MAX_JSON_BODY) {
                throw tooLarge("the request body is larger than 1 MiB");
            }
            return bytes;
        } catch (ApiException e) {
            throw e;
        } catch (Exception e) {
            if (causedByTimeout(e)) {
                throw new ApiException(408, "request-timeout", null, e.getCause() != null ? rootMessage(e) : e.getMessage(),
                        Map.of(), Map.of(HttpHeader.CONNECTION.asString(), "close"));
            }
            throw ApiException.badRequest(null, "could not read the request body: " + e.getMessage());
        }
    }

    static ApiException tooLarge(String detail) {
        return new ApiException(413, "payload-too-large", null, detail, Map.of(), Map.of(HttpHeader.CONNECTION.asString(), "close"));
    }

    static boolean causedByTimeout(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null) {
            c = c.getCause();
        }
        return c.getMessage();
    }

    /**
     * Reads a JSON object body (≤ 1 MiB) into {@code type}. Strict: a missing, {@code null} or
     * non-object body, trailing data, duplicate keys, unknown fields and coercions (a float or a
     * string for a number, …) are 400s naming the field.
     */
    /** {@link #json(Class)}, or {@code empty} when the body is empty or only whitespace (an optional body). */
    <T> T jsonOr(Class<T> type, T empty) {
        byte[] bytes = readAhead();
        for (byte b : bytes) {
            if (!Character.isWhitespace(b)) {
                return json(type);
            }
        }
        return empty;
    }

    <T> T json(Class<T> type) {
        byte[] bytes = readAhead();
        int first = 0;
        while (first < bytes.length && Character.isWhitespace(bytes[first])) {
            first++;
        }
        if (first == bytes.length) {
            throw ApiException.badRequest(null, "the request needs a JSON object body");
        }
        if (bytes[first] != '{') {
            throw ApiException.badRequest(null, "the request body must be a JSON object");
        }
        try (Spans.Step step = Spans.time("json-read")) {
            JsonNode tree = Json.MAPPER.readTree(bytes);
            FieldErrors nulls = new FieldErrors();
            collectNulls(tree, "", nulls);
            nulls.throwIfAny();
            return Json.MAPPER.treeToValue(tree, type);
        } catch (UnrecognizedPropertyException e) {
            String field = fieldPath(e);
            throw ApiException.badRequest(field, "unknown field '" + field + "'; the accepted fields are " + e.getKnownPropertyIds());
        } catch (MismatchedInputException e) {
            String field = fieldPath(e);
            if (field.isEmpty()) {
                throw ApiException.badRequest(null, "invalid JSON: " + e.getOriginalMessage());
            }
            throw ApiException.badRequest(field, "field '" + field + "' has the wrong type: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(null, "invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest(null, "could not read the request body: " + e.getMessage());
        }
    }

    /** No request field is nullable (the document's request schemas have no null): an optional field is omitted instead. */
    private static void collectNulls(JsonNode node, String path, FieldErrors errors) {
        if (node.isNull()) {
            errors.add(path, "field '" + path + "' is null; omit an optional field instead of sending null");
        } else if (node.isObject()) {
            node.properties().forEach(e -> collectNulls(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), errors));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                collectNulls(node.get(i), path + "[" + i + "]", errors);
            }
        }
    }

    private static String fieldPath(JsonMappingException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    void send(int status, Object body) throws IOException {
        byte[] bytes;
        try (Spans.Step step = Spans.time("json-write")) {
            bytes = Json.MAPPER.writeValueAsBytes(body);
        }
        sendRaw(status, bytes);
    }

    /** An AWS door answer: {@link AwsJson} (nulls omitted, epoch-second timestamps). */
    void sendAws(int status, Object body) throws IOException {
        sendRaw(status, AwsJson.MAPPER.writeValueAsBytes(body));
    }

    void sendRaw(int status, byte[] bytes) throws IOException {
        sentStatus = status;
        sentBody = bytes;
        Runnable before = beforeSend;
        beforeSend = null;
        if (before != null) {
            before.run();
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        try (Spans.Step step = Spans.time("respond")) {
            // one last write (head, body and the end together) instead of a stream's write and then its close
            Content.Sink.write(response, true, ByteBuffer.wrap(bytes));
        }
    }

    /** Streams a file as the body, a buffer at a time. */
    void sendFile(int status, String contentType, Path file) throws IOException {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        try (InputStream in = Files.newInputStream(file); OutputStream out = Content.Sink.asOutputStream(response)) {
            in.transferTo(out);
        }
    }

    void sendText(int status, String contentType, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        try (OutputStream out = Content.Sink.asOutputStream(response)) {
            out.write(bytes);
        }
    }
}
