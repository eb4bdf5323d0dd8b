package dev.burrow.daemon.api;

/** An error with its HTTP status and problem type, raised by the API layer itself (auth, parsing, routing). */
final class ApiException extends RuntimeException {

    final int status;
    final String type;
    final String field;

    ApiException(int status, String type, String field, String detail) {
        super(detail);
        this.status = status;
        this.type = type;
        this.field = field;
    }

    static ApiException badRequest(String field, String detail) {
        return new ApiException(400, "invalid-request", field, detail);
    }

    static ApiException notFound(String detail) {
        return new ApiException(404, "not-found", null, detail);
    }
}
