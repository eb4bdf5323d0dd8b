package dev.burrow.daemon.api;

import dev.burrow.daemon.aws.AwsError;

/**
 * The list operations' {@code maxResults} (1..50, as every list of the model declares; 50 when
 * absent) and {@code nextToken} (Burrow's cursor, opaque to the caller).
 */
final class AwsPaging {

    static final int MAX_RESULTS = 50;

    private AwsPaging() {}

    static int maxResults(Call c) {
        String v = c.query("maxResults");
        if (v == null) {
            return MAX_RESULTS;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw AwsError.validation("maxResults must be a whole number between 1 and " + MAX_RESULTS + "; got '" + Queries.printable(v) + "'");
        }
        if (n < 1 || n > MAX_RESULTS) {
            throw AwsError.validation("maxResults must be between 1 and " + MAX_RESULTS + "; got " + n);
        }
        return n;
    }

    static String nextToken(Call c) {
        String v = c.query("nextToken");
        if (v != null && (v.isEmpty() || v.length() > 1024)) {
            throw AwsError.validation("nextToken must be the nextToken of the previous page, as returned");
        }
        return v;
    }
}
