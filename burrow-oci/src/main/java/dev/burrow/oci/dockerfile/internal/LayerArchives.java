package dev.burrow.oci.dockerfile.internal;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/** Recognises the local archives ADD extracts (tar, plain or gzip, bzip2, xz, zstd) by their bytes, as Docker does. */
public final class LayerArchives {
    private static final int TAR_MAGIC_OFFSET = 257;
    /** Memory an xz stream may ask for (its dictionary); a hostile header cannot ask for more. */
    public static final int XZ_MEMORY_LIMIT_KIB = 128 * 1024;

    private LayerArchives() {
    }

    /** True when the file is a tar archive, compressed or not. */
    public static boolean isArchive(Path file) throws IOException {
        try (InputStream in = open(file)) {
            if (in == null) {
                return false;
            }
            byte[] header = in.readNBytes(512);
            return header.length == 512 && header[TAR_MAGIC_OFFSET] == 'u' && header[TAR_MAGIC_OFFSET + 1] == 's'
                    && header[TAR_MAGIC_OFFSET + 2] == 't' && header[TAR_MAGIC_OFFSET + 3] == 'a'
                    && header[TAR_MAGIC_OFFSET + 4] == 'r';
        } catch (IOException e) {
            return false; // a corrupt compressed file is copied as a file, as Docker does
        }
    }

    /** The decompressed stream of a file (plain files as they are). */
    public static InputStream open(Path file) throws IOException {
        BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(file));
        raw.mark(8);
        byte[] m = raw.readNBytes(6);
        raw.reset();
        try {
            if (m.length >= 2 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b) {
                return GzipCompressorInputStream.builder().setInputStream(raw).setDecompressConcatenated(true).get();
            }
            if (m.length >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') {
                return new BZip2CompressorInputStream(raw, true);
            }
            if (m.length >= 6 && (m[0] & 0xff) == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X' && m[4] == 'Z'
                    && m[5] == 0) {
                return new XZCompressorInputStream(raw, true, XZ_MEMORY_LIMIT_KIB);
            }
            if (m.length >= 4 && (m[0] & 0xff) == 0x28 && (m[1] & 0xff) == 0xb5 && (m[2] & 0xff) == 0x2f
                    && (m[3] & 0xff) == 0xfd) {
                return new ZstdInputStream(raw);
            }
            return raw;
        } catch (IOException e) {
            raw.close();
            throw e;
        }
    }
}
