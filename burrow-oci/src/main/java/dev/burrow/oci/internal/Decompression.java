package dev.burrow.oci.internal;

import com.github.luben.zstd.ZstdInputStream;
import dev.burrow.oci.Compression;
import dev.burrow.oci.ImageException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/** Detects a stream's compression from its magic bytes and opens a decompressing stream. */
public final class Decompression {
    private Decompression() {
    }

    /** Peeks at the first bytes of a mark-supporting stream. */
    public static Compression sniff(BufferedInputStream in) throws IOException {
        in.mark(8);
        byte[] magic = in.readNBytes(6);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return Compression.GZIP;
        }
        if (magic.length >= 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
            return Compression.ZSTD;
        }
        if (magic.length >= 6 && (magic[0] & 0xff) == 0xfd && magic[1] == '7' && magic[2] == 'z'
                && magic[3] == 'X' && magic[4] == 'Z' && magic[5] == 0) {
            throw new ImageException("xz compression is not supported (use gzip or zstd)");
        }
        if (magic.length >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') {
            throw new ImageException("bzip2 compression is not supported (use gzip or zstd)");
        }
        return Compression.NONE;
    }

    /** Wraps {@code raw} (which must support mark) in the decompressor its magic bytes call for. */
    public static InputStream open(BufferedInputStream raw, Compression c) throws IOException {
        return switch (c) {
            case GZIP -> GzipCompressorInputStream.builder().setInputStream(raw).setDecompressConcatenated(true).get();
            case ZSTD -> new ZstdInputStream(raw).setContinuous(false);
            case NONE -> raw;
        };
    }
}
