package dev.burrow.oci;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Writes hostile OCI layouts without holding them in memory: tar records are written by hand
 * (so a header can declare any size and its data be streamed lazily), compressed and hashed on
 * the way to the blob file.
 */
final class BombLayouts {
    static final int RECORD = 512;

    private BombLayouts() {
    }

    @FunctionalInterface
    interface Body {
        void write(OutputStream tar) throws IOException;
    }

    /** A ustar header record; {@code type} is the typeflag ('0' file, '5' dir, 'x' PAX, 'L' GNU long name). */
    static byte[] header(String name, char type, long size) {
        byte[] h = new byte[RECORD];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, Math.min(n.length, 100));
        octal(h, 100, 8, type == '5' ? 0755 : 0644);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, 946684800L);
        h[156] = (byte) type;
        System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        return h;
    }

    private static void octal(byte[] h, int off, int len, long v) {
        String s = Long.toOctalString(v);
        String padded = "0".repeat(len - 1 - s.length()) + s;
        System.arraycopy(padded.getBytes(StandardCharsets.US_ASCII), 0, h, off, len - 1);
        h[off + len - 1] = 0;
    }

    /** Writes {@code size} bytes of {@code fill}, then the padding to a whole record. */
    static void data(OutputStream out, long size, byte fill) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, fill);
        long left = size;
        while (left > 0) {
            int n = (int) Math.min(left, chunk.length);
            out.write(chunk, 0, n);
            left -= n;
        }
        int pad = (int) ((RECORD - size % RECORD) % RECORD);
        out.write(new byte[pad]);
    }

    static void end(OutputStream out) throws IOException {
        out.write(new byte[2 * RECORD]);
    }

    /** Streams a layer blob into the layout, compressed, and returns its descriptor. */
    static Descriptor layer(Path layout, Compression c, Body body) throws IOException {
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        Path part = Files.createTempFile(layout, "layer", ".part");
        MessageDigest md = sha256();
        try (OutputStream file = Files.newOutputStream(part);
             DigestOutputStream hashed = new DigestOutputStream(file, md);
             OutputStream compressed = compress(hashed, c)) {
            body.write(compressed);
        }
        String hex = HexFormat.of().formatHex(md.digest());
        long size = Files.size(part);
        Files.move(part, blobs.resolve(hex), StandardCopyOption.REPLACE_EXISTING);
        String type = switch (c) {
            case GZIP -> MediaTypes.OCI_LAYER_GZIP;
            case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
            case NONE -> MediaTypes.OCI_LAYER;
        };
        return new Descriptor(type, new Digest(hex), size);
    }

    private static OutputStream compress(OutputStream out, Compression c) throws IOException {
        return switch (c) {
            case GZIP -> new GZIPOutputStream(out, 64 * 1024) {
                {
                    def.setLevel(Deflater.BEST_COMPRESSION);
                }
            };
            case ZSTD -> new ZstdOutputStream(out, 1);
            case NONE -> out;
        };
    }

    /** Writes config, manifest and index.json for a linux/amd64 image of these layers (no diff_ids). */
    static Path image(Path layout, List<Descriptor> layers) throws IOException {
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{}}".getBytes(StandardCharsets.UTF_8);
        Digest configDigest = OciLayoutWriter.writeBlob(layout, config);
        StringBuilder m = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",")
                .append("\"config\":{\"mediaType\":\"").append(MediaTypes.OCI_CONFIG).append("\",\"digest\":\"")
                .append(configDigest).append("\",\"size\":").append(config.length).append("},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            Descriptor d = layers.get(i);
            m.append(i == 0 ? "" : ",").append("{\"mediaType\":\"").append(d.mediaType()).append("\",\"digest\":\"")
                    .append(d.digest()).append("\",\"size\":").append(d.size()).append('}');
        }
        byte[] manifest = m.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        Digest md = OciLayoutWriter.writeBlob(layout, manifest);
        OciLayoutWriter.writeIndex(layout, List.of(new Descriptor(MediaTypes.OCI_MANIFEST, md, manifest.length)));
        return layout;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
