package dev.burrow.oci.registry;

import dev.burrow.oci.ImageException;

/**
 * A pull failed. The message names the registry, the repository and the tag or digest; it never
 * contains a password, a token or an {@code Authorization} header. {@link #reason()} lets a
 * caller map the failure (to an HTTP status, to a retry).
 */
public final class RegistryException extends ImageException {
    /** Why a pull failed. */
    public enum Reason {
        /** The registry refused the credentials (or demanded some that were not given). */
        UNAUTHORIZED,
        /** The credentials are valid but may not pull this repository. */
        FORBIDDEN,
        /** No such repository, tag, manifest or blob. */
        NOT_FOUND,
        /** The registry answered something the protocol does not allow, or content failed verification. */
        PROTOCOL,
        /** A limit was exceeded (size, redirects, layers). */
        LIMIT,
        /** The registry could not be reached or the connection broke. */
        UNREACHABLE,
        /** The image has no manifest for the requested platform. */
        PLATFORM
    }

    private final Reason reason;

    public RegistryException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public RegistryException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
