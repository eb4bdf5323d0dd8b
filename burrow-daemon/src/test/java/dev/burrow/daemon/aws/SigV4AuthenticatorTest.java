package dev.burrow.daemon.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.store.AwsCredentials;
import dev.burrow.daemon.store.Principal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Verification of signed requests: botocore's are accepted, every kind of forgery and fault is refused as AWS refuses it. */
class SigV4AuthenticatorTest {

    static final String AKID = "AKIAQBURROWTESTKEY23";
    static final String SECRET = "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";
    static final Principal ALICE = new Principal("ten_alice", "alice", false, "key_alice");
    static final Instant NOW = SigV4Vectors.SIGNED_AT;

    final Map<String, AwsCredentials.Credential> keys = new LinkedHashMap<>(Map.of(AKID, new AwsCredentials.Credential(AKID, SECRET, ALICE)));
    final SigV4Authenticator auth = new SigV4Authenticator(id -> Optional.ofNullable(keys.get(id)), Clock.fixed(NOW, ZoneOffset.UTC));

    static List<SigV4Vectors.Vector> lambdaVectors() {
        return SigV4Vectors.lambda();
    }

    /** A request signed as a client signs it; {@code tweak} may change the headers before signing. */
    static SignedRequest signed(String method, String path, String query, String body, Instant at, String secret, String service,
                                UnaryOperator<Map<String, List<String>>> tweak) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("host", List.of("127.0.0.1:8089"));
        headers.put("x-amz-date", List.of(SigV4.amzDate(at)));
        headers.put("content-type", List.of("application/json"));
        headers = tweak.apply(headers);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        List<String> signedNames = new ArrayList<>(headers.keySet());
        SigV4.Scope scope = new SigV4.Scope(SigV4.amzDate(at).substring(0, 8), "eu-west-1", service);
        SigV4.Request r = new SigV4.Request(method, path, query, headers, signedNames, SigV4.sha256Hex(bytes));
        Map<String, List<String>> sent = new LinkedHashMap<>(headers);
        sent.put("authorization", List.of(SigV4.sign(r, SigV4.amzDate(at), scope, AKID, secret)));
        return new SignedRequest(method, path, query, sent, bytes);
    }

    static SignedRequest signed(String body, Instant at) {
        return signed("POST", "/2025-09-09/microvms", "", body, at, SECRET, "lambda", h -> h);
    }

    static SignedRequest withHeader(SignedRequest r, String name, String value) {
        Map<String, List<String>> headers = new LinkedHashMap<>(r.headers());
        headers.put(name, List.of(value));
        return new SignedRequest(r.method(), r.rawPath(), r.rawQuery(), headers, r.body());
    }

    private void refused(SignedRequest r, String code, int status, String messagePart) {
        assertThatThrownBy(() -> auth.authenticate(r)).isInstanceOfSatisfying(AwsError.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.status()).isEqualTo(status);
            assertThat(e.getMessage()).contains(messagePart);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lambdaVectors")
    void everyRequestBotocoreSignedIsAcceptedForItsKeyAndRegion(SigV4Vectors.Vector v) {
        AwsPrincipal p = auth.authenticate(v.request());
        assertThat(p.principal()).isEqualTo(ALICE);
        assertThat(p.accessKeyId()).isEqualTo(AKID);
        assertThat(p.region()).isEqualTo("eu-west-1");
    }

    @Test
    void aRequestSignedFourMinutesOffEitherWayIsAccepted() {
        assertThat(auth.authenticate(signed("{}", NOW.minus(Duration.ofMinutes(4)))).principal()).isEqualTo(ALICE);
        assertThat(auth.authenticate(signed("{}", NOW.plus(Duration.ofMinutes(4)))).principal()).isEqualTo(ALICE);
    }

    @Test
    @Tag("hostile")
    void aWrongSecretIsAnInvalidSignatureThatShowsTheCanonicalRequestButNoSecret() {
        SignedRequest r = signed("POST", "/2025-09-09/microvms", "", "{}", NOW, SECRET.replace('w', 'v'), "lambda", h -> h);
        refused(r, "InvalidSignatureException", 403, "The request signature we calculated does not match");
        assertThatThrownBy(() -> auth.authenticate(r)).hasMessageContaining("POST\n/2025-09-09/microvms\n").hasMessageNotContaining(SECRET);
    }

    @Test
    @Tag("hostile")
    void aBodyChangedAfterSigningIsAnInvalidSignature() {
        SignedRequest r = signed("{\"imageIdentifier\":\"mine\"}", NOW);
        SignedRequest changed = new SignedRequest(r.method(), r.rawPath(), r.rawQuery(), r.headers(),
                "{\"imageIdentifier\":\"yours\"}".getBytes(StandardCharsets.UTF_8));
        refused(changed, "InvalidSignatureException", 403, "does not match");
    }

    @Test
    @Tag("hostile")
    void aQueryOrPathChangedAfterSigningIsAnInvalidSignature() {
        SignedRequest r = signed("GET", "/2025-09-09/microvms", "maxResults=2", "", NOW, SECRET, "lambda", h -> h);
        refused(new SignedRequest("GET", r.rawPath(), "maxResults=3", r.headers(), r.body()), "InvalidSignatureException", 403, "does not match");
        refused(new SignedRequest("GET", "/2025-09-09/microvm-images", r.rawQuery(), r.headers(), r.body()),
                "InvalidSignatureException", 403, "does not match");
        refused(new SignedRequest("DELETE", r.rawPath(), r.rawQuery(), r.headers(), r.body()), "InvalidSignatureException", 403, "does not match");
    }

    @Test
    @Tag("hostile")
    void aSignatureTenMinutesOldIsExpiredNamingBothTimes() {
        refused(signed("{}", NOW.minus(Duration.ofMinutes(10))), "InvalidSignatureException", 403,
                "Signature expired: 20261201T222000Z is now earlier than 20261201T222500Z (20261201T223000Z - 5 min.)");
    }

    @Test
    @Tag("hostile")
    void aSignatureTenMinutesAheadIsNotYetCurrent() {
        refused(signed("{}", NOW.plus(Duration.ofMinutes(10))), "InvalidSignatureException", 403,
                "Signature not yet current: 20261201T224000Z is still later than 20261201T223500Z (20261201T223000Z + 5 min.)");
    }

    @Test
    @Tag("hostile")
    void aScopeDateOtherThanXAmzDatesIsRefused() {
        SignedRequest r = signed("{}", NOW);
        String other = r.header("authorization").replace("/20261201/", "/20261130/");
        refused(withHeader(r, "authorization", other), "InvalidSignatureException", 403,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261130' != '20261201'");
    }

    @Test
    @Tag("hostile")
    void aSignatureForAnotherServiceIsRefused() {
        refused(signed("POST", "/2025-09-09/microvms", "", "{}", NOW, SECRET, "s3", h -> h), "InvalidSignatureException", 403,
                "Credential should be scoped to correct service: 'lambda'.");
    }

    @Test
    @Tag("hostile")
    void hostAndXAmzDateMustBeSigned() {
        SignedRequest noHost = signed("POST", "/2025-09-09/microvms", "", "{}", NOW, SECRET, "lambda", h -> {
            h.remove("host");
            return h;
        });
        refused(withHeader(noHost, "host", "127.0.0.1:8089"), "IncompleteSignatureException", 400, "'Host' and 'X-Amz-Date' must be SignedHeaders");
        SignedRequest r = signed("{}", NOW);
        Map<String, List<String>> noDate = new LinkedHashMap<>(r.headers());
        noDate.remove("x-amz-date");
        refused(new SignedRequest(r.method(), r.rawPath(), r.rawQuery(), noDate, r.body()), "IncompleteSignatureException", 400,
                "requires existence of an 'X-Amz-Date' header");
        refused(withHeader(r, "x-amz-date", "2026-12-01T22:30:00Z"), "IncompleteSignatureException", 400, "ISO-8601 'basic format'");
    }

    @Test
    @Tag("hostile")
    void aRequestWithoutAuthorizationIsMissingItsToken() {
        SignedRequest r = signed("{}", NOW);
        Map<String, List<String>> headers = new LinkedHashMap<>(r.headers());
        headers.remove("authorization");
        refused(new SignedRequest(r.method(), r.rawPath(), r.rawQuery(), headers, r.body()), "MissingAuthenticationTokenException", 403,
                "Missing Authentication Token");
    }

    @ParameterizedTest
    @Tag("hostile")
    @ValueSource(strings = {
            "Bearer bk_abc",
            "AWS4-HMAC-SHA512 Credential=AKIAQBURROWTESTKEY23/20261201/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=",
            "AWS4-HMAC-SHA256 Credential=AKIAQBURROWTESTKEY23/20261201/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date",
            "AWS4-HMAC-SHA256 Credential=AKIAQBURROWTESTKEY23/20261201/eu-west-1/lambda, SignedHeaders=host;x-amz-date, Signature=SIG",
            "AWS4-HMAC-SHA256 Credential=AKIAQBURROWTESTKEY23/2026121/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=SIG",
            "AWS4-HMAC-SHA256 Credential=AKIAQBURROWTESTKEY23/20261201/eu-west-1/lambda/aws4_request, SignedHeaders=Host;X-Amz-Date, Signature=SIG",
            "AWS4-HMAC-SHA256 Credential=AKIAQBURROWTESTKEY23/20261201/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
            "AWS4-HMAC-SHA256 Credential=AKIAQBURROWTESTKEY23/20261201/eu-west-1/lambda/aws4_request, Credential=AKIAQBURROWTESTKEY23/20261201/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=SIG",
            "AWS4-HMAC-SHA256 Credential=AKIAQBURROWTESTKEY23/20261201/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=SIG, Extra=1",
            "AWS4-HMAC-SHA256 Credential=AKIAQBURROWTESTKEY23/20261201/eu-west-1/lambda/aws4_request SignedHeaders=host;x-amz-date Signature=SIG",
    })
    void aMalformedAuthorizationHeaderIsAnIncompleteSignature(String header) {
        SignedRequest r = signed("{}", NOW);
        String good = r.header("authorization");
        String sig = good.substring(good.indexOf("Signature=") + "Signature=".length());
        refused(withHeader(r, "authorization", header.replace("SIG", sig)), "IncompleteSignatureException", 400, "");
    }

    @Test
    @Tag("hostile")
    void anAuthorizationHeaderOfUnboundedLengthIsRefusedUnparsed() {
        SignedRequest r = signed("{}", NOW);
        refused(withHeader(r, "authorization", r.header("authorization") + " ".repeat(SigV4Authenticator.MAX_AUTHORIZATION_CHARS)),
                "IncompleteSignatureException", 400, "longer than");
    }

    @Test
    @Tag("hostile")
    void anUnknownOrRevokedAccessKeyIsAnUnrecognizedClient() {
        SignedRequest r = signed("{}", NOW);
        keys.clear();
        refused(r, "UnrecognizedClientException", 403, "The security token included in the request is invalid.");
        refused(withHeader(r, "authorization", r.header("authorization").replace(AKID, "akia-lower-case-1234")),
                "UnrecognizedClientException", 403, "invalid");
    }

    @Test
    @Tag("hostile")
    void aSessionTokenIsRefusedBecauseBurrowIssuesNoTemporaryCredentials() {
        SignedRequest r = signed("POST", "/2025-09-09/microvms", "", "{}", NOW, SECRET, "lambda", h -> {
            h.put("x-amz-security-token", List.of("FwoGZXIvYXdzE"));
            return h;
        });
        refused(r, "UnrecognizedClientException", 403, "no temporary credentials");
    }

    @Test
    @Tag("hostile")
    void aContentHashThatIsNotTheBodysIsRefusedEvenWhenSigned() {
        SignedRequest r = signed("POST", "/2025-09-09/microvms", "", "{}", NOW, SECRET, "lambda", h -> {
            h.put("x-amz-content-sha256", List.of(SigV4.EMPTY_PAYLOAD_HASH));
            return h;
        });
        refused(r, "InvalidSignatureException", 403, "not the SHA-256 of the request body");
    }

    @Test
    @Tag("hostile")
    void twoAuthorizationHeadersAreRefused() {
        SignedRequest r = signed("{}", NOW);
        Map<String, List<String>> headers = new LinkedHashMap<>(r.headers());
        headers.put("authorization", List.of(r.header("authorization"), r.header("authorization")));
        refused(new SignedRequest(r.method(), r.rawPath(), r.rawQuery(), headers, r.body()), "IncompleteSignatureException", 400, "one Authorization");
    }
}
