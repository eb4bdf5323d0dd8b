package dev.burrow.daemon.ingress;

/** An ingress request refused or failed before its response started: a status and a problem type with its detail. */
public final class IngressException extends RuntimeException {

    private final int status;
    private final String type;

    IngressException(int status, String type, String detail) {
        super(detail);
        this.status = status;
        this.type = type;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    static IngressException unauthorized(String detail) {
        return new IngressException(401, "unauthorized", detail);
    }

    static IngressException forbidden(String detail) {
        return new IngressException(403, "forbidden", detail);
    }

    static IngressException badRequest(String detail) {
        return new IngressException(400, "invalid-request", detail);
    }

    static IngressException badGateway(String detail) {
        return new IngressException(502, "bad-gateway", detail);
    }

    static IngressException gatewayTimeout(String detail) {
        return new IngressException(504, "gateway-timeout", detail);
    }
}
