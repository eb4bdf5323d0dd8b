package dev.burrow.daemon.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** SigV4 against requests botocore signed: the same canonical request, string to sign and Authorization header. */
class SigV4Test {

    static List<SigV4Vectors.Vector> vectors() {
        return SigV4Vectors.ALL;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void theCanonicalRequestIsBotocores(SigV4Vectors.Vector v) {
        String payloadHash = SigV4.sha256Hex(v.body());
        SigV4.Request r = new SigV4.Request(v.method(), v.rawPath(), v.rawQuery(), v.headers(), v.signedHeaders(), payloadHash);
        assertThat(SigV4.canonicalRequest(r, SigV4.UriMode.forService(v.service()))).isEqualTo(v.canonicalRequest());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void theStringToSignAndTheAuthorizationHeaderAreBotocores(SigV4Vectors.Vector v) {
        assertThat(SigV4.stringToSign(v.amzDate(), v.scope(), v.canonicalRequest())).isEqualTo(v.stringToSign());
        SigV4.Request r = new SigV4.Request(v.method(), v.rawPath(), v.rawQuery(), v.headers(), v.signedHeaders(), SigV4.sha256Hex(v.body()));
        assertThat(SigV4.sign(r, v.amzDate(), v.scope(), v.accessKeyId(), v.secretAccessKey())).isEqualTo(v.authorization());
    }

    @Test
    void anArnInALambdaPathIsEncodedTwiceAndInAnS3PathOnce() {
        String path = "/2025-09-09/microvm-images/arn%3Aaws%3Alambda";
        assertThat(SigV4.canonicalUri(path, SigV4.UriMode.NORMALISED_AND_ENCODED)).isEqualTo("/2025-09-09/microvm-images/arn%253Aaws%253Alambda");
        assertThat(SigV4.canonicalUri(path, SigV4.UriMode.AS_SENT)).isEqualTo(path);
        assertThat(SigV4.canonicalUri("", SigV4.UriMode.NORMALISED_AND_ENCODED)).isEqualTo("/");
        assertThat(SigV4.canonicalUri("/a//b/./c/../d/", SigV4.UriMode.NORMALISED_AND_ENCODED)).isEqualTo("/a/b/d/");
    }

    @Test
    void aHeaderWithSeveralValuesIsJoinedWithCommasEachTrimmed() {
        Map<String, List<String>> headers = Map.of("x-a", List.of("  one  two ", "three"), "host", List.of("h:1"));
        assertThat(SigV4.canonicalHeaders(headers, List.of("X-A", "host"))).isEqualTo("host:h:1\nx-a:one two,three");
    }

    @Test
    void aQueryIsSortedByEncodedNameThenValueAndReencodedPerRfc3986() {
        assertThat(SigV4.canonicalQuery("b=2&a=%7e&a=1&c&d=x+y&e=%2f")).isEqualTo("a=1&a=~&b=2&c=&d=x%2By&e=%2F");
        assertThat(SigV4.canonicalQuery(null)).isEmpty();
    }

    @Test
    void theSigningKeyChainGivesAwsDocumentedExample() {
        // the example of AWS's "Examples of how to derive a signing key for Signature Version 4"
        byte[] key = SigV4.signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", new SigV4.Scope("20120215", "us-east-1", "iam"));
        assertThat(HexFormat.of().formatHex(key)).isEqualTo("f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    }
}
