package dev.burrow.daemon.aws;

import java.util.List;
import java.util.Map;

/**
 * A request as SigV4 sees it: the method, the path and query exactly as sent (still
 * percent-encoded), every header (names lower-cased, values in arrival order) and the body's
 * bytes (read ahead, at most the JSON cap).
 */
public record SignedRequest(String method, String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body) {

    /** A header's values joined as SigV4 canonicalises them, or null when absent. */
    public String header(String lowerCaseName) {
        List<String> values = headers.get(lowerCaseName);
        return values == null || values.isEmpty() ? null : String.join(",", values);
    }
}
