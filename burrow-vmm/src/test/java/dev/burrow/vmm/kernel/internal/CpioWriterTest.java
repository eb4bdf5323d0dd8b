package dev.burrow.vmm.kernel.internal;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CpioWriterTest {
    @Test
    void headersAreNewcAsciiAndEverythingIsFourByteAligned() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (CpioWriter cpio = new CpioWriter(bytes)) {
            cpio.directory("d", 0755);
            cpio.file("d/abc", 0644, "12345".getBytes(StandardCharsets.US_ASCII));
        }
        byte[] a = bytes.toByteArray();
        String first = new String(a, 0, 110, StandardCharsets.US_ASCII);
        // magic, ino 1, mode 040755, uid, gid, nlink 2, mtime 0, size 0, dev, rdev, namesize 2 ("d\0"), check
        assertThat(first).isEqualTo("070701" + "00000001" + "000041ed" + "00000000" + "00000000" + "00000002"
                + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000002"
                + "00000000");
        // 110 + 2 = 112 is aligned; the file header follows at once
        assertThat(new String(a, 112, 6, StandardCharsets.US_ASCII)).isEqualTo("070701");
        // file: 110 + "d/abc\0" = 116, data 5 -> 121, padded to 124
        assertThat(new String(a, 112 + 116, 5, StandardCharsets.US_ASCII)).isEqualTo("12345");
        assertThat(new String(a, 112 + 124 + 110, 10, StandardCharsets.US_ASCII)).isEqualTo("TRAILER!!!");
        assertThat(a.length % 4).isZero();
        assertThat(a.length).isEqualTo(112 + 124 + 124);
    }

    @Test
    void absoluteOrReservedNamesAreRefused() throws Exception {
        try (CpioWriter cpio = new CpioWriter(new ByteArrayOutputStream())) {
            assertThatThrownBy(() -> cpio.directory("/abs", 0755)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> cpio.file("TRAILER!!!", 0644, new byte[0]))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
