package dev.burrow.daemon.aws;

/**
 * Finds who a signed request speaks for, or refuses it with the {@link AwsError} AWS would
 * answer (UnrecognizedClientException, InvalidSignatureException, …, all 403).
 */
@FunctionalInterface
public interface AwsAuthenticator {

    AwsPrincipal authenticate(SignedRequest request);

    /** Refuses every request: the door is there, but no credentials exist to open it. */
    static AwsAuthenticator refuseAll() {
        return r -> {
            throw new AwsError("UnrecognizedClientException", 403, "The security token included in the request is invalid.");
        };
    }
}
