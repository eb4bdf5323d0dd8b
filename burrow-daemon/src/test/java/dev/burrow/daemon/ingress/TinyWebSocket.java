package dev.burrow.daemon.ingress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Just enough of RFC 6455 for a test guest: echo each small, unfragmented client frame back unmasked; stop at close. */
final class TinyWebSocket {

    private TinyWebSocket() {}

    static void echo(InputStream in, OutputStream out) throws IOException {
        while (true) {
            int b0 = in.read();
            int b1 = in.read();
            if (b0 < 0 || b1 < 0) {
                return;
            }
            int len = b1 & 0x7F;
            if (len == 126) {
                len = (in.read() << 8) | in.read();
            } else if (len == 127) {
                throw new IOException("frames this large are not for this test");
            }
            byte[] mask = in.readNBytes(4);
            byte[] payload = in.readNBytes(len);
            for (int i = 0; i < len; i++) {
                payload[i] ^= mask[i % 4];
            }
            if ((b0 & 0x0F) == 0x8) {
                return;
            }
            out.write(b0);
            if (len < 126) {
                out.write(len);
            } else {
                out.write(126);
                out.write(len >> 8);
                out.write(len & 0xFF);
            }
            out.write(payload);
            out.flush();
        }
    }
}
