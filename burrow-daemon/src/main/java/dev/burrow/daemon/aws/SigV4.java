package dev.burrow.daemon.aws;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4, the algorithm alone (no HTTP types): the canonical request, the string
 * to sign, the signing key and the signature, exactly as botocore computes them. One
 * implementation verifies the door's requests ({@link SigV4Authenticator}) and signs Burrow's own
 * (the S3 fetch, tests).
 *
 * <p>The canonical URI differs by service, as in botocore: for {@code lambda} (and every service
 * but S3) the path is normalised (empty and {@code .} segments dropped, {@code ..} applied) and
 * then percent-encoded AGAIN, so an ARN's {@code %3A} on the wire is {@code %253A} in the
 * canonical request; for {@code s3} the path is used as sent ({@link UriMode#AS_SENT}).
 */
public final class SigV4 {

    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] UPPER_HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    /** The {@code Authorization} header's scheme and the string to sign's first line. */
    public static final String ALGORITHM = "AWS4-HMAC-SHA256";
    /** The last element of every credential scope. */
    public static final String TERMINATOR = "aws4_request";
    /** {@code x-amz-date}'s format: ISO 8601 basic, UTC. */
    public static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
    /** The credential scope's date. */
    public static final DateTimeFormatter SCOPE_DATE = DateTimeFormatter.ofPattern("yyyyMMdd", Locale.ROOT).withZone(ZoneOffset.UTC);
    /** The SHA-256 of an empty payload, in hex. */
    public static final String EMPTY_PAYLOAD_HASH = sha256Hex(new byte[0]);

    /** How the canonical URI is made from the path as sent. */
    public enum UriMode {
        /** Every service but S3: normalised, then encoded once more. */
        NORMALISED_AND_ENCODED,
        /** S3: the path exactly as sent. */
        AS_SENT;

        public static UriMode forService(String service) {
            return "s3".equals(service) ? AS_SENT : NORMALISED_AND_ENCODED;
        }
    }

    /** A credential scope: {@code <date>/<region>/<service>/aws4_request}. */
    public record Scope(String date, String region, String service) {
        public String text() {
            return date + "/" + region + "/" + service + "/" + TERMINATOR;
        }
    }

    /**
     * What is signed: the method, the path and query exactly as sent (still percent-encoded), the
     * headers (names lower-cased; values in arrival order), the names of the signed ones, and the
     * payload's hash (hex SHA-256 or a literal such as {@code UNSIGNED-PAYLOAD}).
     */
    public record Request(String method, String rawPath, String rawQuery, Map<String, List<String>> headers,
                          List<String> signedHeaders, String payloadHash) {}

    private SigV4() {}

    /** The canonical request of {@code r}; every header of {@code r.signedHeaders()} must be in {@code r.headers()}. */
    public static String canonicalRequest(Request r, UriMode mode) {
        return r.method().toUpperCase(Locale.ROOT) + "\n"
                + canonicalUri(r.rawPath(), mode) + "\n"
                + canonicalQuery(r.rawQuery()) + "\n"
                + canonicalHeaders(r.headers(), r.signedHeaders()) + "\n\n"
                + signedHeaders(r.signedHeaders()) + "\n"
                + r.payloadHash();
    }

    public static String stringToSign(String amzDate, Scope scope, String canonicalRequest) {
        return ALGORITHM + "\n" + amzDate + "\n" + scope.text() + "\n" + sha256Hex(canonicalRequest.getBytes(StandardCharsets.UTF_8));
    }

    /** The key derived from the secret for one scope: HMAC chain over date, region, service, {@code aws4_request}. */
    public static byte[] signingKey(String secretAccessKey, Scope scope) {
        byte[] k = hmac(("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8), scope.date());
        k = hmac(k, scope.region());
        k = hmac(k, scope.service());
        return hmac(k, TERMINATOR);
    }

    /** The hex signature of {@code stringToSign} under the scope's key. */
    public static String signature(String secretAccessKey, Scope scope, String stringToSign) {
        return HEX.formatHex(hmac(signingKey(secretAccessKey, scope), stringToSign));
    }

    /**
     * Signs {@code r} as a client does (the S3 fetch, tests): the {@code Authorization} header
     * value, for {@code r}'s headers, which must already hold {@code x-amz-date: amzDate}.
     */
    public static String sign(Request r, String amzDate, Scope scope, String accessKeyId, String secretAccessKey) {
        String canonical = canonicalRequest(r, UriMode.forService(scope.service()));
        return authorization(accessKeyId, scope, r.signedHeaders(), signature(secretAccessKey, scope, stringToSign(amzDate, scope, canonical)));
    }

    /** The {@code Authorization} header value for a request signed with these parts. */
    public static String authorization(String accessKeyId, Scope scope, List<String> signedHeaders, String signature) {
        return ALGORITHM + " Credential=" + accessKeyId + "/" + scope.text() + ", SignedHeaders=" + signedHeaders(signedHeaders)
                + ", Signature=" + signature;
    }

    /** The signed header names: lower-cased, sorted, distinct, joined with {@code ;}. */
    public static String signedHeaders(List<String> names) {
        TreeSet<String> sorted = new TreeSet<>();
        for (String n : names) {
            sorted.add(n.toLowerCase(Locale.ROOT));
        }
        return String.join(";", sorted);
    }

    /** The canonical URI of a path as sent ({@link UriMode}); an empty path is {@code /}. */
    public static String canonicalUri(String rawPath, UriMode mode) {
        String path = rawPath == null || rawPath.isEmpty() ? "/" : rawPath;
        if (mode == UriMode.AS_SENT) {
            return path;
        }
        return encode(removeDotSegments(path), true);
    }

    /**
     * The canonical query: each {@code name=value} pair (a missing {@code =} is an empty value)
     * decoded and encoded again per RFC 3986, sorted by encoded name and then value, joined with
     * {@code &}. A query botocore or the JS SDK sent is already in that encoding.
     */
    public static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String[]> pairs = new ArrayList<>();
        for (String pair : rawQuery.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            pairs.add(new String[] {encode(decode(name), false), encode(decode(value), false)});
        }
        pairs.sort((a, b) -> {
            int byName = a[0].compareTo(b[0]);
            return byName != 0 ? byName : a[1].compareTo(b[1]);
        });
        StringBuilder out = new StringBuilder();
        for (String[] p : pairs) {
            if (!out.isEmpty()) {
                out.append('&');
            }
            out.append(p[0]).append('=').append(p[1]);
        }
        return out.toString();
    }

    /**
     * One {@code name:value} line per signed header, sorted by name: each value trimmed with runs
     * of whitespace collapsed to one space, a header's several values joined with {@code ,}.
     */
    public static String canonicalHeaders(Map<String, List<String>> headers, List<String> signedHeaders) {
        StringBuilder out = new StringBuilder();
        for (String name : signedHeaders(signedHeaders).split(";")) {
            List<String> values = headers.getOrDefault(name, List.of());
            List<String> trimmed = new ArrayList<>(values.size());
            for (String v : values) {
                trimmed.add(String.join(" ", Arrays.stream(v.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList()));
            }
            if (!out.isEmpty()) {
                out.append('\n');
            }
            out.append(name).append(':').append(String.join(",", trimmed));
        }
        return out.toString();
    }

    public static String amzDate(Instant t) {
        return AMZ_DATE.format(t);
    }

    public static String sha256Hex(byte[] data) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }

    /** RFC 3986 section 5.2.4, and empty segments dropped (as botocore does): {@code /a//b/../c/} is {@code /a/c/}. */
    static String removeDotSegments(String path) {
        List<String> out = new ArrayList<>();
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                if (!out.isEmpty()) {
                    out.removeLast();
                }
            } else {
                out.add(segment);
            }
        }
        String first = path.startsWith("/") ? "/" : "";
        String last = path.endsWith("/") && !out.isEmpty() ? "/" : "";
        return first + String.join("/", out) + last;
    }

    /** Percent-encodes every UTF-8 byte but the RFC 3986 unreserved ones (and {@code /} when {@code keepSlash}), upper-case hex. */
    public static String encode(String s, boolean keepSlash) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + 16);
        for (byte b : bytes) {
            int c = b & 0xff;
            boolean unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/');
            if (unreserved) {
                out.write(c);
            } else {
                out.write('%');
                out.write(UPPER_HEX[c >> 4]);
                out.write(UPPER_HEX[c & 0xf]);
            }
        }
        return out.toString(StandardCharsets.US_ASCII);
    }

    /** Undoes percent-encoding ({@code +} stays a plus, as in a URI); a malformed escape is kept as it is. */
    static String decode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int hi = i + 2 < bytes.length ? Character.digit(bytes[i + 1], 16) : -1;
            int lo = i + 2 < bytes.length ? Character.digit(bytes[i + 2], 16) : -1;
            if (bytes[i] == '%' && hi >= 0 && lo >= 0) {
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                out.write(bytes[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
