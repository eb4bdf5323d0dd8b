package dev.burrow.daemon.egress.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("hostile")
@Tag("security")
class DnsWireTest {

    @Test
    void aQueryItBuildsParsesBack() throws Exception {
        byte[] q = DnsWire.aQuery(0x1234, "pypi.org");
        DnsWire.Query parsed = DnsWire.parseQuery(q, q.length);
        assertThat(parsed.id()).isEqualTo(0x1234);
        assertThat(parsed.name()).isEqualTo("pypi.org");
        assertThat(parsed.type()).isEqualTo(DnsWire.TYPE_A);
        assertThat(parsed.qclass()).isEqualTo(DnsWire.CLASS_IN);
        assertThat(parsed.recursionDesired()).isTrue();
        assertThat(parsed.questionEnd()).isEqualTo(q.length);
    }

    @Test
    void aQueryWithAnEdnsRecordIsAccepted() throws Exception {
        byte[] q = withOpt(DnsWire.aQuery(7, "a.com"));
        assertThat(DnsWire.parseQuery(q, q.length).name()).isEqualTo("a.com");
    }

    @Test
    void aRefusalEchoesTheIdAndQuestion() throws Exception {
        byte[] q = withOpt(DnsWire.aQuery(0xbeef, "denied.com"));
        DnsWire.Query parsed = DnsWire.parseQuery(q, q.length);
        byte[] a = DnsWire.answer(q, parsed, DnsWire.RCODE_REFUSED);
        assertThat(DnsWire.isResponseTo(a, a.length, 0xbeef)).isTrue();
        assertThat(DnsWire.rcode(a)).isEqualTo(DnsWire.RCODE_REFUSED);
        assertThat(Arrays.copyOfRange(a, 12, a.length)).isEqualTo(Arrays.copyOfRange(q, 12, parsed.questionEnd()));
    }

    @Test
    void aCompressionPointerInAQuestionIsRefused() {
        byte[] q = DnsWire.aQuery(1, "a.com");
        q[12] = (byte) 0xc0;
        q[13] = 12; // points at itself: a loop if followed
        assertThatThrownBy(() -> DnsWire.parseQuery(q, q.length)).isInstanceOf(DnsWire.FormatException.class)
                .hasMessageContaining("compression");
    }

    @Test
    void lengthsPastTheMessageAndOverlongNamesAreRefused() {
        byte[] q = DnsWire.aQuery(1, "a.com");
        q[12] = 60;
        assertThatThrownBy(() -> DnsWire.parseQuery(q, q.length)).isInstanceOf(DnsWire.FormatException.class);
        byte[] longName = DnsWire.aQuery(1, String.join(".", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(63)));
        assertThatThrownBy(() -> DnsWire.parseQuery(longName, longName.length)).hasMessageContaining("255");
        assertThatThrownBy(() -> DnsWire.parseQuery(new byte[11], 11)).isInstanceOf(DnsWire.FormatException.class);
        byte[] big = new byte[DnsWire.MAX_UDP + 1];
        assertThatThrownBy(() -> DnsWire.parseQuery(big, big.length)).isInstanceOf(DnsWire.FormatException.class);
    }

    @Test
    void responsesExtraRecordsAndTrailingBytesAreNoQuery() {
        byte[] response = DnsWire.aQuery(1, "a.com");
        response[2] |= (byte) 0x80;
        assertThatThrownBy(() -> DnsWire.parseQuery(response, response.length)).hasMessageContaining("response");
        byte[] twoQuestions = DnsWire.aQuery(1, "a.com");
        twoQuestions[5] = 2;
        assertThatThrownBy(() -> DnsWire.parseQuery(twoQuestions, twoQuestions.length)).isInstanceOf(DnsWire.FormatException.class);
        byte[] trailing = Arrays.copyOf(DnsWire.aQuery(1, "a.com"), DnsWire.aQuery(1, "a.com").length + 3);
        assertThatThrownBy(() -> DnsWire.parseQuery(trailing, trailing.length)).hasMessageContaining("after");
    }

    @Test
    void answerRecordsAreReadAndBackwardPointersFollowedNever() throws Exception {
        byte[] q = DnsWire.aQuery(9, "a.com");
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        a.writeBytes(q);
        byte[] m = a.toByteArray();
        m[2] |= (byte) 0x80;
        m[7] = 2; // two answers
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(m);
        for (int i = 0; i < 2; i++) {
            out.writeBytes(new byte[] {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, (byte) 198, 51, 100, (byte) (2 + i)});
        }
        byte[] answer = out.toByteArray();
        assertThat(DnsWire.aRecords(answer, answer.length)).extracting(x -> x.getHostAddress()).containsExactly("198.51.100.2", "198.51.100.3");
        // a pointer to itself (or forwards) is refused, not followed
        byte[] loop = answer.clone();
        loop[q.length + 1] = (byte) q.length;
        assertThatThrownBy(() -> DnsWire.aRecords(loop, loop.length)).hasMessageContaining("backwards");
    }

    @Test
    void randomBytesAreRefusedOrParsedButNeverCrashTheParser() {
        Random r = new Random(53);
        byte[] good = withOpt(DnsWire.aQuery(5, "files.pythonhosted.org"));
        for (int i = 0; i < 20_000; i++) {
            byte[] b = i % 2 == 0 ? good.clone() : new byte[r.nextInt(64)];
            if (i % 2 == 0) {
                for (int k = 0; k < 1 + r.nextInt(3); k++) {
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
            } else {
                r.nextBytes(b);
            }
            try {
                DnsWire.Query q = DnsWire.parseQuery(b, b.length);
                assertThat(q.questionEnd()).isLessThanOrEqualTo(b.length);
                DnsWire.answer(b, q, DnsWire.RCODE_REFUSED);
            } catch (DnsWire.FormatException expected) {
                // a refusal
            }
            try {
                DnsWire.aRecords(b, b.length);
            } catch (DnsWire.FormatException expected) {
                // a refusal
            }
        }
    }

    private static byte[] withOpt(byte[] q) {
        byte[] out = Arrays.copyOf(q, q.length + 11);
        out[11] = 1; // ARCOUNT
        out[q.length + 2] = DnsWire.TYPE_OPT;
        out[q.length + 3] = 0x10; // udp size 4096
        return out;
    }
}
