package dev.burrow.daemon.api;

import dev.burrow.daemon.aws.AwsError;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own errors (a bad request line, a URI or headers too large, a body over a limit, a
 * failure outside a route) as problem+json with a request id, like every other error; Jetty's
 * message is kept for 4xx (it names no host path) and replaced for 5xx. On the AWS door's paths
 * they take AWS's error shape instead.
 */
final class ProblemErrorHandler extends ErrorHandler {

    private static final int NOT_IMPLEMENTED = 501;
    private static final int VERSION_NOT_SUPPORTED = 505;

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = request.getAttribute(ERROR_STATUS) instanceof Integer s ? s : 500;
        String requestId = response.getHeaders().get(Problems.REQUEST_ID);
        if (requestId == null) {
            requestId = Problems.requestId(request);
            response.getHeaders().put(Problems.REQUEST_ID, requestId);
        }
        boolean clientFault = status < 500 || status == NOT_IMPLEMENTED || status == VERSION_NOT_SUPPORTED;
        String message = request.getAttribute(ERROR_MESSAGE) instanceof String m && clientFault ? m : null;
        String detail = switch (status) {
            case 414 -> "the request URI is too long";
            case 431 -> "the request headers are too large";
            case 413 -> "the request body is too large";
            case 408 -> "the request was not received in time";
            case VERSION_NOT_SUPPORTED -> "only HTTP/1.0 and HTTP/1.1 are spoken here";
            default -> message != null ? message
                    : !clientFault ? "internal error (request " + requestId + "); the daemon log has the details" : "the request is malformed";
        };
        response.getHeaders().remove(HttpHeader.CACHE_CONTROL);
        if (awsPath(request)) {
            // the AWS door's clients parse x-amzn-ErrorType, not problem+json
            AwsErrors.write(response, callback, requestId, new AwsError(clientFault ? "ValidationException" : "InternalServerException",
                    status, detail));
            return true;
        }
        Problems.write(response, callback, status, Problems.body(status, Problems.typeOf(status), detail, requestId, null, Map.of()),
                Map.of(HttpHeader.CACHE_CONTROL.asString(), "no-store"));
        return true;
    }

    private static boolean awsPath(Request request) {
        try {
            return AwsErrors.isAwsPath(request.getHttpURI().getPath());
        } catch (RuntimeException unparseable) {
            return false;
        }
    }
}
