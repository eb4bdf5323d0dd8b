package dev.burrow.daemon.aws;

import java.io.IOException;

/** A download from the S3 endpoint that failed, with why (so the caller can answer the right error). */
public final class S3Exception extends IOException {

    /** What went wrong. */
    public enum Kind {
        /** 404: no such bucket or key. */
        NOT_FOUND,
        /** 403: the endpoint refused burrowd's credentials for this object. */
        ACCESS_DENIED,
        /** The object is larger than the caller's cap. */
        TOO_LARGE,
        /** A malformed bucket or key: nothing was requested. */
        INVALID,
        /** Any other answer, a connection failure or the download's deadline. */
        UNAVAILABLE
    }

    private final Kind kind;

    public S3Exception(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public S3Exception(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
