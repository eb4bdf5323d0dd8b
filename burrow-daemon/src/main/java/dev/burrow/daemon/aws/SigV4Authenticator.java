package dev.burrow.daemon.aws;

import dev.burrow.daemon.store.AwsCredentials;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Verifies a request signed with AWS Signature Version 4 (header form only: presigned query
 * strings are not accepted) against the access keys of {@link AccessKeys}, and answers a refusal
 * as AWS Lambda does:
 * <ul>
 *   <li>no {@code Authorization}: MissingAuthenticationTokenException (403);</li>
 *   <li>a malformed one, a missing or malformed {@code x-amz-date}, {@code host} or
 *       {@code x-amz-date} not signed: IncompleteSignatureException (400);</li>
 *   <li>an unknown or revoked access key id, or a session token (Burrow issues no temporary
 *       credentials): UnrecognizedClientException (403);</li>
 *   <li>a scope for another service, a scope date that is not {@code x-amz-date}'s, a clock
 *       more than {@link #MAX_SKEW} away, a body that is not the one signed, a wrong signature:
 *       InvalidSignatureException (403).</li>
 * </ul>
 * The signature is compared in constant time. botocore neither retries these errors nor corrects
 * its clock on them, so a skewed client fails at once with the message naming both times.
 */
public final class SigV4Authenticator implements AwsAuthenticator {

    /** The signing name of the {@code lambda-microvms} model. */
    public static final String SERVICE = "lambda";
    /** How far {@code x-amz-date} may be from the server's clock, either way. */
    public static final Duration MAX_SKEW = Duration.ofMinutes(5);
    /** The longest {@code Authorization} header parsed; anything longer is malformed. */
    static final int MAX_AUTHORIZATION_CHARS = 4096;

    static final String MISSING = "MissingAuthenticationTokenException";
    static final String INCOMPLETE = "IncompleteSignatureException";
    static final String UNRECOGNIZED = "UnrecognizedClientException";
    static final String INVALID = "InvalidSignatureException";
    static final String MISMATCH_MESSAGE = "The request signature we calculated does not match the signature you provided."
            + " Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
    static final String UNRECOGNIZED_MESSAGE = "The security token included in the request is invalid.";

    private static final Pattern ACCESS_KEY_ID = Pattern.compile("[A-Z0-9]{16,128}");
    private static final Pattern SCOPE_DATE = Pattern.compile("[0-9]{8}");
    private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
    private static final Pattern SIGNED_HEADERS = Pattern.compile("[a-z0-9!#$%&'*+.^_`|~-]+(;[a-z0-9!#$%&'*+.^_`|~-]+){0,63}");
    private static final Pattern SIGNATURE = Pattern.compile("[0-9a-f]{64}");

    private final AccessKeys keys;
    private final Clock clock;

    public SigV4Authenticator(AccessKeys keys, Clock clock) {
        this.keys = Objects.requireNonNull(keys);
        this.clock = Objects.requireNonNull(clock);
    }

    /** The parts of an {@code Authorization: AWS4-HMAC-SHA256 …} header. */
    record Authorization(String accessKeyId, SigV4.Scope scope, List<String> signedHeaders, String signature) {}

    @Override
    public AwsPrincipal authenticate(SignedRequest request) {
        List<String> authHeaders = request.headers().get("authorization");
        if (authHeaders == null || authHeaders.isEmpty()) {
            throw new AwsError(MISSING, 403, "Missing Authentication Token");
        }
        if (authHeaders.size() > 1) {
            throw incomplete("a request carries one Authorization header; this one has " + authHeaders.size());
        }
        if (request.header("x-amz-security-token") != null) {
            throw new AwsError(UNRECOGNIZED, 403, UNRECOGNIZED_MESSAGE + " Burrow issues no temporary credentials"
                    + " (x-amz-security-token): sign with an access key id and secret from `burrow admin key create --aws`.");
        }
        Authorization auth = parse(authHeaders.getFirst());
        if (!auth.scope().service().equals(SERVICE)) {
            throw new AwsError(INVALID, 403, "Credential should be scoped to correct service: '" + SERVICE + "'. ");
        }
        if (!auth.signedHeaders().contains("host") || !auth.signedHeaders().contains("x-amz-date")) {
            throw incomplete("'Host' and 'X-Amz-Date' must be SignedHeaders in the AWS Authorization; SignedHeaders="
                    + String.join(";", auth.signedHeaders()));
        }
        String amzDate = request.header("x-amz-date");
        Instant signedAt = signedAt(amzDate);
        if (!amzDate.startsWith(auth.scope().date())) {
            throw new AwsError(INVALID, 403, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"
                    + auth.scope().date() + "' != '" + amzDate.substring(0, 8) + "', from '" + amzDate + "'.");
        }
        checkSkew(amzDate, signedAt);
        String payloadHash = SigV4.sha256Hex(request.body());
        String declared = request.header("x-amz-content-sha256");
        if (declared != null && !declared.equals(payloadHash)) {
            throw new AwsError(INVALID, 403, "The x-amz-content-sha256 header (" + printable(declared)
                    + ") is not the SHA-256 of the request body; the body is not the one that was signed.");
        }
        AwsCredentials.Credential key = ACCESS_KEY_ID.matcher(auth.accessKeyId()).matches()
                ? keys.find(auth.accessKeyId()).orElse(null) : null;
        if (key == null) {
            throw new AwsError(UNRECOGNIZED, 403, UNRECOGNIZED_MESSAGE);
        }
        SigV4.Request signed = new SigV4.Request(request.method(), request.rawPath(), request.rawQuery(), request.headers(),
                auth.signedHeaders(), payloadHash);
        String canonical = SigV4.canonicalRequest(signed, SigV4.UriMode.forService(SERVICE));
        String toSign = SigV4.stringToSign(amzDate, auth.scope(), canonical);
        String expected = SigV4.signature(key.secretAccessKey(), auth.scope(), toSign);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), auth.signature().getBytes(StandardCharsets.US_ASCII))) {
            throw new AwsError(INVALID, 403, MISMATCH_MESSAGE + "\n\nThe Canonical String for this request should have been\n'"
                    + canonical + "'\n\nThe String-to-Sign should have been\n'" + toSign + "'\n");
        }
        return new AwsPrincipal(key.principal(), key.accessKeyId(), auth.scope().region());
    }

    /** Strictly: the algorithm, then exactly Credential, SignedHeaders and Signature, comma-separated, each once. */
    static Authorization parse(String header) {
        if (header.length() > MAX_AUTHORIZATION_CHARS) {
            throw incomplete("the Authorization header is longer than " + MAX_AUTHORIZATION_CHARS + " characters");
        }
        String prefix = SigV4.ALGORITHM + " ";
        if (!header.startsWith(prefix)) {
            int space = header.indexOf(' ');
            throw incomplete("Unsupported AWS 'algorithm': '" + printable(space < 0 ? header : header.substring(0, space))
                    + "'; Burrow accepts " + SigV4.ALGORITHM + " in the Authorization header (presigned URLs are not accepted)");
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (String part : header.substring(prefix.length()).split(",", -1)) {
            String p = part.strip();
            int eq = p.indexOf('=');
            String name = eq < 0 ? p : p.substring(0, eq);
            if (eq < 0 || !List.of("Credential", "SignedHeaders", "Signature").contains(name)) {
                throw incomplete("Authorization header parameter '" + printable(p) + "' is not Credential=…, SignedHeaders=… or Signature=…"
                        + " Authorization=" + printable(header));
            }
            if (params.put(name, p.substring(eq + 1)) != null) {
                throw incomplete("Authorization header has the parameter '" + name + "' twice. Authorization=" + printable(header));
            }
        }
        StringBuilder missing = new StringBuilder();
        for (String required : List.of("Credential", "Signature", "SignedHeaders")) {
            if (!params.containsKey(required)) {
                missing.append("Authorization header requires '").append(required).append("' parameter. ");
            }
        }
        if (!missing.isEmpty()) {
            throw incomplete(missing + "Authorization=" + printable(header));
        }
        String[] credential = params.get("Credential").split("/", -1);
        if (credential.length != 5 || credential[0].isEmpty() || !SCOPE_DATE.matcher(credential[1]).matches()
                || !SigV4.TERMINATOR.equals(credential[4])) {
            throw incomplete("Credential must be <access key id>/<yyyymmdd>/<region>/" + SERVICE + "/" + SigV4.TERMINATOR
                    + "; got '" + printable(params.get("Credential")) + "'");
        }
        if (!REGION.matcher(credential[2]).matches()) {
            throw new AwsError(INVALID, 403, "Credential should be scoped to a valid region. ");
        }
        String signedHeaders = params.get("SignedHeaders");
        if (!SIGNED_HEADERS.matcher(signedHeaders).matches()) {
            throw incomplete("SignedHeaders must be lower-case header names joined with ';'; got '" + printable(signedHeaders) + "'");
        }
        String signature = params.get("Signature");
        if (!SIGNATURE.matcher(signature).matches()) {
            throw incomplete("Signature must be 64 lower-case hex digits; got '" + printable(signature) + "'");
        }
        return new Authorization(credential[0], new SigV4.Scope(credential[1], credential[2], credential[3]),
                Arrays.asList(signedHeaders.split(";")), signature);
    }

    private static Instant signedAt(String amzDate) {
        if (amzDate == null) {
            throw incomplete("Authorization header requires existence of an 'X-Amz-Date' header.");
        }
        try {
            return SigV4.AMZ_DATE.parse(amzDate, Instant::from);
        } catch (DateTimeParseException e) {
            throw incomplete("X-Amz-Date must be in ISO-8601 'basic format' (yyyyMMdd'T'HHmmss'Z'). Got '" + printable(amzDate) + "'.");
        }
    }

    private void checkSkew(String amzDate, Instant signedAt) {
        Instant now = clock.instant();
        if (signedAt.isBefore(now.minus(MAX_SKEW))) {
            throw new AwsError(INVALID, 403, "Signature expired: " + amzDate + " is now earlier than "
                    + SigV4.amzDate(now.minus(MAX_SKEW)) + " (" + SigV4.amzDate(now) + " - 5 min.)");
        }
        if (signedAt.isAfter(now.plus(MAX_SKEW))) {
            throw new AwsError(INVALID, 403, "Signature not yet current: " + amzDate + " is still later than "
                    + SigV4.amzDate(now.plus(MAX_SKEW)) + " (" + SigV4.amzDate(now) + " + 5 min.)");
        }
    }

    private static AwsError incomplete(String message) {
        return new AwsError(INCOMPLETE, 400, message);
    }

    /** {@code s} cut to 200 characters with control characters replaced, for an error message. */
    private static String printable(String s) {
        String cut = s.length() > 200 ? s.substring(0, 200) + "…" : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
