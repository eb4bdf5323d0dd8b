package dev.burrow.daemon.aws;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;

/**
 * Where {@code codeArtifact.uri = s3://bucket/key} is fetched from (SPEC §8): an S3-compatible
 * endpoint ({@code BURROW_S3_ENDPOINT}, e.g. {@code https://s3.eu-west-1.amazonaws.com} or a
 * MinIO), its region ({@code BURROW_S3_REGION}, default {@value #DEFAULT_REGION}) and the
 * credentials burrowd signs with ({@code BURROW_S3_ACCESS_KEY_ID} and
 * {@code BURROW_S3_SECRET_ACCESS_KEY}; both or neither — without them requests go unsigned, for
 * public buckets). {@link #NONE} when no endpoint is set: s3:// URIs are then refused.
 */
public record S3Settings(URI endpoint, String region, String accessKeyId, String secretAccessKey, Duration connectTimeout,
                         Duration downloadTimeout) {

    public static final String DEFAULT_REGION = "us-east-1";
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** The longest a whole download may take, headers to last byte. */
    public static final Duration DEFAULT_DOWNLOAD_TIMEOUT = Duration.ofMinutes(10);
    /** No endpoint configured. */
    public static final S3Settings NONE = new S3Settings(null, DEFAULT_REGION, null, null, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DOWNLOAD_TIMEOUT);

    public boolean configured() {
        return endpoint != null;
    }

    public boolean signed() {
        return accessKeyId != null;
    }

    public static S3Settings fromEnvironment(Map<String, String> env) {
        String endpoint = blankToNull(env.get("BURROW_S3_ENDPOINT"));
        if (endpoint == null) {
            return NONE;
        }
        URI uri;
        try {
            uri = new URI(endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("BURROW_S3_ENDPOINT must be an http(s) URL such as https://s3.us-east-1.amazonaws.com; got '"
                    + endpoint + "'");
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("BURROW_S3_ENDPOINT must be an http(s) URL with a host and no query, such as"
                    + " https://s3.us-east-1.amazonaws.com; got '" + endpoint + "'");
        }
        String region = blankToNull(env.get("BURROW_S3_REGION"));
        if (region != null && !region.matches("[a-z0-9][a-z0-9-]{0,31}")) {
            throw new IllegalArgumentException("BURROW_S3_REGION must be a region name such as eu-west-1; got '" + region + "'");
        }
        String id = blankToNull(env.get("BURROW_S3_ACCESS_KEY_ID"));
        String secret = blankToNull(env.get("BURROW_S3_SECRET_ACCESS_KEY"));
        if ((id == null) != (secret == null)) {
            throw new IllegalArgumentException("BURROW_S3_ACCESS_KEY_ID and BURROW_S3_SECRET_ACCESS_KEY go together: set both"
                    + " (signed requests) or neither (public buckets)");
        }
        return new S3Settings(uri, region == null ? DEFAULT_REGION : region, id, secret, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DOWNLOAD_TIMEOUT);
    }

    @Override
    public String toString() {
        return "S3Settings[" + (endpoint == null ? "none" : endpoint + ", " + region + ", " + (signed() ? accessKeyId : "unsigned")) + "]";
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
