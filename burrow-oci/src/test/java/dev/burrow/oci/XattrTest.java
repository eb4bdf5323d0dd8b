package dev.burrow.oci;

import static dev.burrow.oci.TarEntrySpec.file;
import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.oci.internal.Posix;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XattrTest {
    /** VFS_CAP_REVISION_2 | effective, permitted = CAP_NET_RAW (bit 13). */
    static final byte[] NET_RAW = {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    @TempDir
    Path tmp;

    @Test
    void keepsUserTrustedAndFileCapabilitiesAndWarnsAboutTheRest() throws Exception {
        Path image = tmp.resolve("image");
        Fixtures.layout(image, List.of(
                file("ping", "ping").withMode(0755).withXattr("security.capability", NET_RAW),
                file("t", "t").withXattr("trusted.overlay", "x").withXattr("user.a", "b"),
                file("s", "s").withXattr("security.selinux", "system_u:object_r:bin_t:s0")));
        List<String> warnings = new ArrayList<>();
        Path staging = tmp.resolve("staging");
        Fixtures.unpack(image, new BlobStore(tmp.resolve("store")), staging, warnings);

        assertThat(Posix.lgetxattr(staging.resolve("ping"), "security.capability")).isEqualTo(NET_RAW);
        assertThat(Posix.lgetxattr(staging.resolve("t"), "trusted.overlay")).isEqualTo("x".getBytes(StandardCharsets.UTF_8));
        assertThat(Posix.lgetxattr(staging.resolve("t"), "user.a")).isEqualTo("b".getBytes(StandardCharsets.UTF_8));
        assertThat(Posix.llistxattr(staging.resolve("s"))).doesNotContain("security.selinux");
        assertThat(warnings).singleElement().asString()
                .startsWith("/s (layer sha256:")
                .endsWith("xattr security.selinux skipped (only user.*, trusted.* and security.capability are kept)");

        // and the writer reads them back from a tree
        Path again = tmp.resolve("again");
        new OciLayoutWriter(ImageConfig.EMPTY).addLayer(staging).writeLayout(again);
        Path staging2 = tmp.resolve("staging2");
        Fixtures.unpack(again, new BlobStore(tmp.resolve("store")), staging2, new ArrayList<>());
        assertThat(Posix.lgetxattr(staging2.resolve("ping"), "security.capability")).isEqualTo(NET_RAW);
    }

    @Test
    void binaryValueInASchilyRecordIsSkippedWithAWarning() throws Exception {
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.writeBytes("28 SCHILY.xattr.user.bin=".getBytes(StandardCharsets.US_ASCII));
        record.writeBytes(new byte[] {(byte) 0xff, (byte) 0xfe, '\n'});
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(gz), "UTF-8")) {
            TarArchiveEntry pax = new TarArchiveEntry("PaxHeaders/bin", TarConstants.LF_PAX_EXTENDED_HEADER_LC);
            pax.setSize(record.size());
            tar.putArchiveEntry(pax);
            tar.write(record.toByteArray());
            tar.closeArchiveEntry();
            TarArchiveEntry e = new TarArchiveEntry("bin");
            e.setSize(1);
            tar.putArchiveEntry(e);
            tar.write('b');
            tar.closeArchiveEntry();
        }
        Path image = tmp.resolve("image");
        new OciLayoutWriter(ImageConfig.EMPTY).addRawLayer(gz.toByteArray(), MediaTypes.OCI_LAYER_GZIP, null)
                .writeLayout(image);
        List<String> warnings = new ArrayList<>();
        Fixtures.unpack(image, new BlobStore(tmp.resolve("store")), tmp.resolve("staging"), warnings);
        assertThat(tmp.resolve("staging/bin")).hasContent("b");
        assertThat(warnings).singleElement().asString()
                .endsWith("xattr user.bin has a binary value the tar reader cannot preserve; skipped");
    }
}
