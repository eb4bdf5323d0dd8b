package dev.burrow.daemon.egress.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("hostile")
@Tag("security")
class TlsHelloTest {

    private static Prefix prefix(InputStream in) {
        return new Prefix(in, 20_000, System.nanoTime() + 5_000_000_000L, ms -> { });
    }

    private static Optional<String> sni(byte[] bytes) throws IOException {
        return TlsHello.read(prefix(new ByteArrayInputStream(bytes)));
    }

    /** Hands out one byte per read, as a slow or fragmenting network would. */
    private static final class OneByteAtATime extends InputStream {
        private final byte[] b;
        private int at;

        OneByteAtATime(byte[] b) {
            this.b = b;
        }

        @Override
        public int read() {
            return at < b.length ? b[at++] & 0xff : -1;
        }

        @Override
        public int read(byte[] dst, int off, int len) {
            if (at >= b.length) {
                return -1;
            }
            dst[off] = b[at++];
            return 1;
        }
    }

    @Test
    void theServerNameIsReadAndEveryByteIsKeptForTheReplay() throws IOException {
        byte[] wire = ClientHellos.records(ClientHellos.handshake("pypi.org"), 16384);
        Prefix p = prefix(new ByteArrayInputStream(wire));
        assertThat(TlsHello.read(p)).contains("pypi.org");
        assertThat(p.bytes()).isEqualTo(wire);
    }

    @Test
    void aClientHelloSpreadOverRecordsAndArrivingByteByByteIsStillRead() throws IOException {
        byte[] wire = ClientHellos.records(ClientHellos.handshake("files.pythonhosted.org"), 7);
        Prefix p = prefix(new OneByteAtATime(wire));
        assertThat(TlsHello.read(p)).contains("files.pythonhosted.org");
        assertThat(p.bytes()).isEqualTo(wire);
    }

    @Test
    void aClientHelloWithoutServerNameHasNone() throws IOException {
        assertThat(sni(ClientHellos.records(ClientHellos.handshake(null), 16384))).isEmpty();
    }

    @Test
    void otherRecordsAndMessagesAreRefused() {
        byte[] wire = ClientHellos.records(ClientHellos.handshake("a.com"), 16384);
        byte[] alert = wire.clone();
        alert[0] = 21;
        assertThatThrownBy(() -> sni(alert)).isInstanceOf(TlsHello.Malformed.class);
        byte[] serverHello = wire.clone();
        serverHello[5] = 2;
        assertThatThrownBy(() -> sni(serverHello)).isInstanceOf(TlsHello.Malformed.class);
        assertThatThrownBy(() -> sni("GET / HTTP/1.1\r\nHost: a.com\r\n\r\n".getBytes())).isInstanceOf(TlsHello.Malformed.class);
    }

    @Test
    void lengthsThatRunPastTheirContainerAreRefused() {
        byte[] hs = ClientHellos.handshake("a.com");
        // the server_name list claims more than its extension holds
        byte[] lying = hs.clone();
        int sniExt = indexOf(lying, new byte[] {0, 0, 0, 10, 0, 8, 0, 0, 5});
        lying[sniExt + 5] = 9;
        assertThatThrownBy(() -> sni(ClientHellos.records(lying, 16384))).isInstanceOf(TlsHello.Malformed.class);
        // a host name length past the message
        byte[] past = hs.clone();
        past[sniExt + 8] = 60;
        assertThatThrownBy(() -> sni(ClientHellos.records(past, 16384))).isInstanceOf(TlsHello.Malformed.class);
        // a session id longer than 32
        byte[] session = hs.clone();
        session[4 + 34] = 33;
        assertThatThrownBy(() -> sni(ClientHellos.records(session, 16384))).isInstanceOf(TlsHello.Malformed.class);
    }

    @Test
    void anOversizedClientHelloOrRecordIsRefusedBeforeItIsRead() {
        byte[] huge = {22, 3, 1, 0x40, 0x01}; // a record of 2^14 + 1
        assertThatThrownBy(() -> sni(huge)).isInstanceOf(TlsHello.Malformed.class);
        byte[] bigHello = {22, 3, 1, 0, 4, 1, 0x01, 0, 0}; // a ClientHello of 64 KiB
        assertThatThrownBy(() -> sni(bigHello)).isInstanceOf(TlsHello.Malformed.class).hasMessageContaining("65536");
    }

    @Test
    void aConnectionThatEndsEarlyIsNoClientHello() {
        byte[] wire = ClientHellos.records(ClientHellos.handshake("a.com"), 16384);
        assertThatThrownBy(() -> sni(Arrays.copyOf(wire, wire.length - 3))).isInstanceOf(EOFException.class);
    }

    @Test
    void aClientHelloThatDoesNotArriveInTimeIsCut() {
        Prefix late = new Prefix(new ByteArrayInputStream(ClientHellos.records(ClientHellos.handshake("a.com"), 1)),
                20_000, System.nanoTime() - 1, ms -> { });
        assertThatThrownBy(() -> TlsHello.read(late)).isInstanceOf(Prefix.Cut.class);
    }

    @Test
    void randomBytesNeverGetPastTheParserAsAnythingButARefusal() {
        Random r = new Random(10);
        byte[] good = ClientHellos.records(ClientHellos.handshake("example.com"), 50);
        for (int i = 0; i < 5000; i++) {
            byte[] b = good.clone();
            for (int k = 0; k < 1 + r.nextInt(4); k++) {
                b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            }
            try {
                Optional<String> name = sni(b);
                name.ifPresent(n -> assertThat(n).matches("[\\x21-\\x7e]+"));
            } catch (IOException expected) {
                // Malformed, EOF or Cut: all refusals
            }
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
