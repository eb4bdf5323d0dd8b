package dev.burrow.daemon.api;

import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.images.ImageExistsException;
import dev.burrow.daemon.images.InvalidRequestException;
import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.microvms.EngineFailure;
import dev.burrow.daemon.microvms.HookFailedException;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.microvms.RetryableException;
import dev.burrow.daemon.store.QuotaExceededException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * How an error leaves the Lambda MicroVMs door (SPEC §8): Burrow's own failures, raised by the
 * same services the {@code /v1} routes call, become the error shapes the model declares — a 400
 * naming a field becomes a ValidationException with that text, a missing resource a
 * ResourceNotFoundException, a quota a ServiceQuotaExceededException (402), a per-tenant cap a
 * ThrottlingException with Retry-After.
 */
final class AwsErrors {

    /** The request id header AWS's SDKs read into ResponseMetadata. */
    static final String REQUEST_ID = "x-amzn-RequestId";
    static final String ERROR_TYPE = "x-amzn-ErrorType";
    private static final String[] PREFIXES = {"/2025-09-09/", "/2017-03-31/tags/"};

    private AwsErrors() {}

    /** Whether {@code path} belongs to the AWS door (its errors then take AWS's shape). */
    static boolean isAwsPath(String path) {
        for (String p : PREFIXES) {
            if (path.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    static AwsError unknownOperation(String method, String path) {
        return new AwsError("UnknownOperationException", 404, "no Lambda MicroVMs operation is " + method + " " + path);
    }

    /** The AWS error for {@code t}; anything unexpected is an InternalServerException without its text. */
    static AwsError from(Throwable t, String requestId) {
        return switch (t) {
            case AwsError e -> e;
            case ApiException a -> fromApi(a);
            case InvalidRequestException e -> AwsError.validation(e.getMessage());
            case NotFoundException e -> new AwsError("ResourceNotFoundException", 404, e.getMessage());
            case ImageExistsException e -> new AwsError("ConflictException", 409, e.getMessage());
            case ConflictException e -> new AwsError("ConflictException", 409, e.getMessage());
            case QuotaExceededException e -> AwsError.quotaExceeded(null, e.quota(), e.getMessage());
            case RetryableException e -> AwsError.throttling(e.retryAfterSeconds(), e.getMessage());
            case HookFailedException e -> new AwsError("ConflictException", 409, e.getMessage(),
                    Map.of("resourceType", "microvm", "resourceId", e.microVmId()), Map.of());
            case EngineFailure e -> new AwsError("InternalServerException", 500, e.getMessage());
            default -> AwsError.internal(requestId);
        };
    }

    private static AwsError fromApi(ApiException a) {
        return switch (a.status) {
            case 400, 413, 414, 422, 431 -> AwsError.validation(a.getMessage());
            case 401 -> new AwsError("UnrecognizedClientException", 403, a.getMessage());
            case 403 -> AwsError.accessDenied(a.getMessage());
            case 404 -> new AwsError("ResourceNotFoundException", 404, a.getMessage());
            case 409 -> new AwsError("ConflictException", 409, a.getMessage());
            case 429 -> AwsError.throttling(Integer.parseInt(a.headers.getOrDefault("Retry-After", "1")), a.getMessage());
            default -> new AwsError(a.status >= 500 ? "InternalServerException" : "ValidationException",
                    a.status >= 500 ? 500 : 400, a.getMessage());
        };
    }

    /** Writes {@code e} as the whole response (not yet committed). */
    static void write(Response response, Callback callback, String requestId, AwsError e) {
        byte[] body;
        try {
            body = AwsJson.MAPPER.writeValueAsBytes(e.body());
        } catch (Exception x) {
            throw new IllegalStateException("an AWS error did not serialize", x);
        }
        response.setStatus(e.status());
        e.headers().forEach((k, v) -> response.getHeaders().put(k, v));
        response.getHeaders().put(REQUEST_ID, requestId);
        response.getHeaders().put(ERROR_TYPE, e.code());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
