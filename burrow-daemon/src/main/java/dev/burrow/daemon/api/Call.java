package dev.burrow.daemon.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.burrow.daemon.store.Principal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Fields;

/** One HTTP call as the route handlers see it: path parameters, the caller, JSON in and out. */
final class Call {

    static final int MAX_JSON_BODY = 1 << 20;

    final Request request;
    final Response response;
    final String requestId;
    final Map<String, String> params;
    Principal principal;
    private Fields query;
    /** The body, when it was read ahead (idempotent calls hash it before the handler runs). */
    byte[] bufferedBody;
    int sentStatus;
    byte[] sentBody;

    Call(Request request, Response response, String requestId, Map<String, String> params) {
        this.request = request;
        this.response = response;
        this.requestId = requestId;
        this.params = params;
    }

    String param(String name) {
        return params.get(name);
    }

    String query(String name) {
        if (query == null) {
            query = Request.extractQueryParameters(request);
        }
        return query.getValue(name);
    }

    String tenant() {
        return principal.tenantId();
    }

    InputStream body() {
        return bufferedBody != null ? new java.io.ByteArrayInputStream(bufferedBody) : Content.Source.asInputStream(request);
    }

    /** Reads the JSON body ahead (≤ 1 MiB), so it can be hashed and still be parsed by the handler. */
    byte[] readAhead() throws IOException {
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] bytes = in.readNBytes(MAX_JSON_BODY + 1);
            if (bytes.length > MAX_JSON_BODY) {
                throw ApiException.badRequest(null, "the request body is larger than 1 MiB");
            }
            bufferedBody = bytes;
            return bytes;
        }
    }

    /** Reads a JSON body (≤ 1 MiB) into {@code type}; unknown fields and bad JSON are 400s naming the field. */
    <T> T json(Class<T> type) {
        try (InputStream in = body()) {
            byte[] bytes = in.readNBytes(MAX_JSON_BODY + 1);
            if (bytes.length > MAX_JSON_BODY) {
                throw ApiException.badRequest(null, "the request body is larger than 1 MiB");
            }
            if (bytes.length == 0) {
                throw ApiException.badRequest(null, "the request needs a JSON body");
            }
            return Json.MAPPER.readValue(bytes, type);
        } catch (UnrecognizedPropertyException e) {
            String field = fieldPath(e);
            throw ApiException.badRequest(field, "unknown field '" + field + "'; the accepted fields are " + e.getKnownPropertyIds());
        } catch (MismatchedInputException e) {
            String field = fieldPath(e);
            throw ApiException.badRequest(field, "field '" + field + "' has the wrong type: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(null, "invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest(null, "could not read the request body: " + e.getMessage());
        }
    }

    private static String fieldPath(com.fasterxml.jackson.databind.JsonMappingException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    void send(int status, Object body) throws IOException {
        sendRaw(status, Json.MAPPER.writeValueAsBytes(body));
    }

    void sendRaw(int status, byte[] bytes) throws IOException {
        sentStatus = status;
        sentBody = bytes;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        try (OutputStream out = Content.Sink.asOutputStream(response)) {
            out.write(bytes);
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
