package dev.burrow.daemon.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An error with its HTTP status and problem type, raised by the API layer itself (auth, parsing, routing, limits). */
final class ApiException extends RuntimeException {

    final int status;
    final String type;
    final String field;
    /** Extra problem members, e.g. {@code counts} on a 409 for a delete that something still uses. */
    final Map<String, Object> extra;
    /** Response headers that go with the problem, e.g. {@code Allow} on a 405, {@code Retry-After} on a 429. */
    final Map<String, String> headers;

    ApiException(int status, String type, String field, String detail) {
        this(status, type, field, detail, Map.of());
    }

    ApiException(int status, String type, String field, String detail, Map<String, Object> extra) {
        this(status, type, field, detail, extra, Map.of());
    }

    ApiException(int status, String type, String field, String detail, Map<String, Object> extra, Map<String, String> headers) {
        super(detail);
        this.status = status;
        this.type = type;
        this.field = field;
        this.extra = extra;
        this.headers = headers;
    }

    static ApiException badRequest(String field, String detail) {
        return new ApiException(400, "invalid-request", field, detail,
                field == null ? Map.of() : Map.of("errors", List.of(FieldErrors.entry(field, detail))));
    }

    static ApiException notFound(String detail) {
        return new ApiException(404, "not-found", null, detail);
    }

    /** 429 for a per-tenant or per-connection cap, with {@code limit}, {@code current} and {@code Retry-After}. */
    static ApiException tooMany(String what, int limit, int current, String detail) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("quota", what);
        extra.put("limit", limit);
        extra.put("current", current);
        return new ApiException(429, "too-many-requests", null, detail, extra, Map.of("Retry-After", "1"));
    }
}
