package dev.burrow.oci.internal;

import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import dev.burrow.oci.ImageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/** Reads small JSON blobs (indexes, manifests, configs) with a size cap checked before reading. */
public final class Metadata {
    /** The most bytes of any one index, manifest or config Burrow reads into memory. */
    public static final int MAX_BYTES = 4 * 1024 * 1024;

    private Metadata() {
    }

    /** Reads a blob named by a descriptor: size-capped, size-checked and digest-verified. */
    public static byte[] read(BlobReader blobs, Descriptor d, String what) throws IOException {
        String name = what + " " + d.digest();
        if (d.size() > MAX_BYTES) {
            throw tooLarge(name, d.size());
        }
        long onDisk = blobs.size(d.digest());
        if (onDisk < 0) {
            throw new ImageException(name + " is missing from the image");
        }
        if (onDisk > MAX_BYTES) {
            throw tooLarge(name, onDisk);
        }
        byte[] bytes;
        try (InputStream in = blobs.open(d.digest())) {
            bytes = readCapped(in, MAX_BYTES, name);
        }
        if (bytes.length != d.size()) {
            throw new ImageException(name + " is " + bytes.length + " bytes but its descriptor says " + d.size());
        }
        Digest actual = Sha256.of(bytes);
        if (!actual.equals(d.digest())) {
            throw new ImageException(name + " does not match its digest (got " + actual + ")");
        }
        return bytes;
    }

    /** Reads a blob known only by digest (docker-archive configs), capped and verified. */
    public static byte[] read(BlobReader blobs, Digest digest, String what) throws IOException {
        long onDisk = blobs.size(digest);
        if (onDisk < 0) {
            throw new ImageException(what + " " + digest + " is missing from the image");
        }
        return read(blobs, new Descriptor("application/octet-stream", digest, onDisk), what);
    }

    /** Reads at most {@code cap} bytes; more is an error naming {@code name}. */
    public static byte[] readCapped(InputStream in, int cap, String name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            total += n;
            if (total > cap) {
                throw tooLarge(name, -1);
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    public static ImageException tooLarge(String name, long size) {
        return new ImageException(name + " is " + (size >= 0 ? size + " bytes" : "larger than the limit")
                + "; Burrow reads at most " + MAX_BYTES + " bytes of image metadata (index, manifest or config)");
    }

    /** Verifies bytes against a digest without a descriptor. */
    public static void verify(byte[] bytes, Digest expected, String name) throws ImageException {
        MessageDigest md = Sha256.newDigest();
        Digest actual = Digest.of(md.digest(bytes));
        if (!actual.equals(expected)) {
            throw new ImageException(name + " does not match its digest (got " + actual + ")");
        }
    }
}
