package dev.burrow.daemon.aws;

import dev.burrow.daemon.store.AwsCredentials;
import java.util.Optional;

/** Where {@link SigV4Authenticator} finds an access key id's secret and principal ({@link AwsCredentials#find} in burrowd). */
@FunctionalInterface
public interface AccessKeys {

    /** The live credential of {@code accessKeyId}; empty when unknown or when its API key is revoked. */
    Optional<AwsCredentials.Credential> find(String accessKeyId);
}
