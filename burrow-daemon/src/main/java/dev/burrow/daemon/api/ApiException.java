package dev.burrow.daemon.api;

/** An error with its HTTP status and problem type, raised by the API layer itself (auth, parsing, routing). */
final class ApiException extends RuntimeException {

    final int status;
    final String type;
    final String field;
    /** Extra problem members, e.g. {@code counts} on a 409 for a delete that something still uses. */
    final java.util.Map<String, Object> extra;

    ApiException(int status, String type, String field, String detail) {
        this(status, type, field, detail, java.util.Map.of());
    }

    ApiException(int status, String type, String field, String detail, java.util.Map<String, Object> extra) {
        super(detail);
        this.status = status;
        this.type = type;
        this.field = field;
        this.extra = extra;
    }

    static ApiException badRequest(String field, String detail) {
        return new ApiException(400, "invalid-request", field, detail);
    }

    static ApiException notFound(String detail) {
        return new ApiException(404, "not-found", null, detail);
    }
}
