package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code POST /v1/uploads}: streams a file (or a directory as a tar made on the fly) with a
 * progress line, hashes what it sent and checks burrowd's {@code sha256} against it.
 */
public final class Uploader {
    private final ApiClient api;
    private final Progress progress;

    public Uploader(ApiClient api, Progress progress) {
        this.api = api;
        this.progress = progress;
    }

    /** Uploads a regular file; returns the answer {@code {uploadId, bytes, sha256, expiresAt}}. */
    public JsonNode uploadFile(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new BurrowException("cannot read " + file + ": " + e.getMessage(), e);
        }
        MessageDigest digest = sha256();
        AtomicLong sent = new AtomicLong();
        String label = file.getFileName().toString();
        JsonNode answer = api.postStream("/v1/uploads", () -> {
            digest.reset();
            sent.set(0);
            try {
                return new Counting(Files.newInputStream(file), digest, sent, n -> progress.show(line(label, n, size), false));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, size);
        progress.done(line(label, sent.get(), size));
        check(answer, digest, sent.get());
        return answer;
    }

    /** Uploads a directory as a tar stream (length unknown: chunked). */
    public JsonNode uploadDirectory(Path dir) {
        return uploadTar(dir.getFileName() + ".tar", dir.toString(), out -> TarWriter.writeTree(dir, out));
    }

    /** Writes a tar stream. */
    public interface TarSource {
        void write(OutputStream out) throws IOException;
    }

    /**
     * Uploads the tar {@code source} writes (length unknown: chunked), shown as {@code label};
     * {@code what} names it in errors. {@code source} may be asked to write more than once.
     */
    public JsonNode uploadTar(String label, String what, TarSource source) {
        MessageDigest digest = sha256();
        AtomicLong sent = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        JsonNode answer = api.postStream("/v1/uploads", () -> {
            digest.reset();
            sent.set(0);
            try {
                PipedInputStream in = new PipedInputStream(1 << 20);
                PipedOutputStream pipe = new PipedOutputStream(in);
                Thread.ofVirtual().name("burrow-tar").start(() -> {
                    try (pipe) {
                        source.write(pipe);
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
                return new Counting(in, digest, sent, n -> progress.show(line(label, n, -1), false));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, -1);
        progress.done(line(label, sent.get(), -1));
        if (failure.get() != null) {
            throw new BurrowException("archiving " + what + " failed: " + failure.get().getMessage(), failure.get());
        }
        check(answer, digest, sent.get());
        return answer;
    }

    private static void check(JsonNode answer, MessageDigest digest, long sent) {
        if (answer == null || Json.text(answer, "uploadId").isEmpty()) {
            throw new BurrowException("burrowd's upload answer has no uploadId");
        }
        String theirs = Json.text(answer, "sha256");
        String ours = HexFormat.of().formatHex(digest.digest());
        if (!theirs.isEmpty() && !theirs.equalsIgnoreCase(ours)) {
            throw new BurrowException("upload corrupted in transit: sent sha256 " + ours + ", burrowd got " + theirs);
        }
        JsonNode bytes = answer.get("bytes");
        if (bytes != null && bytes.canConvertToLong() && bytes.asLong() != sent) {
            throw new BurrowException("upload truncated: sent " + sent + " bytes, burrowd got " + bytes.asLong());
        }
    }

    static String line(String label, long sent, long total) {
        if (total > 0) {
            return String.format("uploading %s  %s / %s (%d%%)", label, Units.humanBytes(sent), Units.humanBytes(total),
                    sent * 100 / total);
        }
        return "uploading " + label + "  " + Units.humanBytes(sent);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Counts and hashes what passes through. */
    private static final class Counting extends FilterInputStream {
        private final MessageDigest digest;
        private final AtomicLong count;
        private final java.util.function.LongConsumer onProgress;

        Counting(InputStream in, MessageDigest digest, AtomicLong count, java.util.function.LongConsumer onProgress) {
            super(in);
            this.digest = digest;
            this.count = count;
            this.onProgress = onProgress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                digest.update((byte) b);
                onProgress.accept(count.incrementAndGet());
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                digest.update(buf, off, n);
                onProgress.accept(count.addAndGet(n));
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            throw new IOException("skip not supported");
        }
    }
}
