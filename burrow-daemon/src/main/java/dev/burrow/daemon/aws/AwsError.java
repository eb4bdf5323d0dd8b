package dev.burrow.daemon.aws;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error as the {@code lambda-microvms} model declares it: the shape name travels in
 * {@code x-amzn-ErrorType}, the body is a JSON object with {@code message} and the shape's other
 * members, the status is the shape's {@code httpStatusCode}. Members bound to a header (the
 * {@code retryAfterSeconds} of a throttle, {@code Retry-After}) are in {@link #headers}.
 */
public final class AwsError extends RuntimeException {

    private final String code;
    private final int status;
    private final Map<String, Object> members;
    private final Map<String, String> headers;

    public AwsError(String code, int status, String message, Map<String, Object> members, Map<String, String> headers) {
        super(message);
        this.code = code;
        this.status = status;
        this.members = Map.copyOf(members);
        this.headers = Map.copyOf(headers);
    }

    public AwsError(String code, int status, String message) {
        this(code, status, message, Map.of(), Map.of());
    }

    /** The error shape's name, e.g. {@code ValidationException}. */
    public String code() {
        return code;
    }

    public int status() {
        return status;
    }

    /** The members beside {@code message}, in the order the body lists them. */
    public Map<String, Object> members() {
        return members;
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** The JSON body: {@code message} first, then the other members. */
    public Map<String, Object> body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", getMessage());
        body.putAll(members);
        return body;
    }

    /** 400: a field out of its range, a missing one, a malformed one; the message names each. */
    public static AwsError validation(String message) {
        return new AwsError("ValidationException", 400, message);
    }

    /** 403: the caller is known but may not do this (an admin-only artifact source, …). */
    public static AwsError accessDenied(String message) {
        return new AwsError("AccessDeniedException", 403, message);
    }

    /** 404 naming the resource: also what another account's resource answers, so none is disclosed. */
    public static AwsError notFound(String resourceType, String resourceId, String message) {
        return new AwsError("ResourceNotFoundException", 404, message, members("resourceId", resourceId, "resourceType", resourceType), Map.of());
    }

    /** 409: the resource is in a state that does not allow the call. */
    public static AwsError conflict(String resourceType, String resourceId, String message) {
        return new AwsError("ConflictException", 409, message, members("resourceId", resourceId, "resourceType", resourceType), Map.of());
    }

    /** 402, as the model declares ServiceQuotaExceededException. */
    public static AwsError quotaExceeded(String resourceType, String quotaCode, String message) {
        return new AwsError("ServiceQuotaExceededException", 402, message,
                members("resourceType", resourceType, "serviceCode", "lambda", "quotaCode", quotaCode), Map.of());
    }

    /** 429 with {@code Retry-After}. */
    public static AwsError throttling(int retryAfterSeconds, String message) {
        return new AwsError("ThrottlingException", 429, message, members("serviceCode", "lambda"),
                Map.of("Retry-After", Integer.toString(retryAfterSeconds)));
    }

    /** 500 without the cause's text (that is in the daemon's log under the request id). */
    public static AwsError internal(String requestId) {
        return new AwsError("InternalServerException", 500,
                "internal error (request " + requestId + "); the daemon log has the details");
    }

    private static Map<String, Object> members(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] != null) {
                m.put((String) pairs[i], pairs[i + 1]);
            }
        }
        return m;
    }
}
