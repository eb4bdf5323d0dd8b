package dev.burrow.daemon.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionTest {

    private static final String KEY = "bk_Q2hlY2tUaGlzS2V5SXNOb3RMb2dnZWQ0Mg";

    @Test
    void anApiKeyKeepsItsPrefixAndLosesItsSecret() {
        assertThat(Redaction.redact("key " + KEY + " used")).isEqualTo("key bk_…[redacted] used");
    }

    @Test
    void aBearerHeaderIsRedactedWhateverItsCase() {
        String out = Redaction.redact("GET /v1/microvms HttpFields[authorization: Bearer sekrit-token-123, Host: x]");
        assertThat(out).doesNotContain("sekrit-token-123").contains("authorization: …[redacted]");
        assertThat(Redaction.redact("sent BEARER abc.def")).isEqualTo("sent BEARER …[redacted]");
    }

    @Test
    void ingressTokensCookiesAndPasswordPairsAreRedacted() {
        assertThat(Redaction.redact("X-Burrow-Token: t0k3n")).doesNotContain("t0k3n");
        assertThat(Redaction.redact("X-aws-proxy-auth=t0k3n")).doesNotContain("t0k3n");
        assertThat(Redaction.redact("Cookie: burrow_session=abc")).doesNotContain("abc");
        assertThat(Redaction.redact("registry login password=hunter2&user=me")).doesNotContain("hunter2").contains("user=me");
        assertThat(Redaction.redact("{\"secret\": \"s3cr3t\"}")).doesNotContain("s3cr3t");
    }

    @Test
    void aTokenOfferedAsAWebSocketSubprotocolIsRedacted() {
        assertThat(Redaction.redact("Sec-WebSocket-Protocol: burrow, burrow.token.AbCdEf012345-_x"))
                .isEqualTo("Sec-WebSocket-Protocol: burrow, burrow.token.…[redacted]");
    }

    @Test
    void textWithoutSecretsIsUnchanged() {
        String plain = "microVM vm01j5 RUNNING -> SUSPENDING (requested by the API)";
        assertThat(Redaction.redact(plain)).isSameAs(plain);
    }

    @Test
    void controlCharactersAreEscapedSoOneRecordIsOneLine() {
        assertThat(Redaction.redact("guest said: ok\n12:00 INFO forged line\r\u001b[31mred\u0000"))
                .isEqualTo("guest said: ok\\n12:00 INFO forged line\\r\\x1b[31mred\\x00");
    }

    @Test
    void aHugeMessageIsCutAndSaysHowMuch() {
        String out = Redaction.redact("x".repeat(Redaction.MAX_MESSAGE_CHARS + 10));
        assertThat(out).hasSize(Redaction.MAX_MESSAGE_CHARS + "…[10 chars cut]".length()).endsWith("…[10 chars cut]");
    }

    @Test
    void aKeyCutInHalfByTheLengthCapIsStillRedacted() {
        String msg = "y".repeat(Redaction.MAX_MESSAGE_CHARS - 10) + KEY;
        assertThat(Redaction.redact(msg)).contains("bk_…[redacted]").doesNotContain("Q2hlY2t");
    }
}
