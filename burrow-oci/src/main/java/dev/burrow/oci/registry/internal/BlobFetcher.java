package dev.burrow.oci.registry.internal;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import dev.burrow.oci.internal.Sha256;
import dev.burrow.oci.registry.PartialBlobs;
import dev.burrow.oci.registry.RegistryException;
import dev.burrow.oci.registry.RegistryException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streams one blob from a registry into the store: through a hash into its partial file, which
 * becomes the blob (renamed into the store, read-only) only when its size and digest match the
 * descriptor. A blob already stored is not fetched; one cut off mid-transfer keeps its partial
 * file and is resumed with {@code Range} (a registry that answers 200 instead of 206 starts it
 * over); a blob that is too large or does not match its digest leaves nothing behind.
 */
public final class BlobFetcher {
    private static final int BUFFER = 256 * 1024;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes ([0-9]+)-([0-9]+)/([0-9]+|\\*)");

    /** What one fetch did: bytes transferred, or served from the store. */
    public record Result(long fetched, boolean cached) {
    }

    private final Transport transport;
    private final int attempts;

    public BlobFetcher(Transport transport, int attempts) {
        this.transport = transport;
        this.attempts = attempts;
    }

    /** A transfer that ended early; {@code progress} bytes of it were kept. */
    private static final class Cut extends Exception {
        final long progress;
        final RegistryException failure;

        Cut(long progress, RegistryException failure) {
            super(null, null, false, false);
            this.progress = progress;
            this.failure = failure;
        }
    }

    public Result fetch(Target target, Descriptor d, PartialBlobs partials, long maxBytes) throws IOException {
        String what = "blob " + d.digest();
        if (d.size() > maxBytes) {
            throw new RegistryException(Reason.LIMIT, what + " in " + target.name() + " is " + d.size()
                    + " bytes; Burrow fetches at most " + maxBytes + " bytes per blob");
        }
        BlobStore store = partials.store();
        if (store.contains(d.digest())) {
            return new Result(0, true);
        }
        try (var held = partials.lock(d.digest())) {
            if (store.contains(d.digest())) {
                return new Result(0, true); // another pull fetched it while we waited
            }
            long fetched = 0;
            for (int attempt = 1; ; attempt++) {
                try {
                    fetched += transfer(target, d, partials, what);
                    return new Result(fetched, false);
                } catch (Cut cut) {
                    fetched += cut.progress;
                    if (attempt >= attempts || cut.progress == 0) {
                        throw cut.failure;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(Reason.UNREACHABLE, "interrupted while waiting for " + what + " in " + target.name());
        }
    }

    private long transfer(Target target, Descriptor d, PartialBlobs partials, String what) throws IOException, Cut {
        Path part = partials.path(d.digest());
        long have = partials.size(d.digest());
        if (have > d.size()) {
            Files.deleteIfExists(part);
            have = 0;
        }
        if (have == d.size() && have > 0) {
            finish(target, d, partials, hashOf(part), what); // a complete transfer not yet moved in
            return 0;
        }
        Map<String, String> headers = have > 0 ? Map.of("Range", "bytes=" + have + "-") : Map.of();
        long got = 0;
        try (Transport.Response r = transport.get(target, "blobs/" + d.digest(), headers, what)) {
            long start = 0;
            if (r.status() == 206) {
                start = rangeStart(r, target, what);
                if (start != have) {
                    Files.deleteIfExists(part);
                    throw new RegistryException(Reason.PROTOCOL, target.host() + " answered a range starting at " + start
                            + " for " + what + " in " + target.name() + " when asked for " + have);
                }
            } else if (have > 0) {
                have = 0; // no Range support: start over
            }
            long length = r.contentLength();
            if (length >= 0 && start + length > d.size()) {
                Files.deleteIfExists(part);
                throw tooLarge(target, d, what, start + length);
            }
            MessageDigest md = have > 0 ? hashPrefix(part) : Sha256.newDigest();
            StandardOpenOption mode = have > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
            try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode);
                 OutputStream out = Channels.newOutputStream(ch)) {
                byte[] buf = new byte[BUFFER];
                InputStream in = r.body();
                long limit = d.size() - have;
                while (true) {
                    int n;
                    try {
                        n = in.read(buf);
                    } catch (IOException e) {
                        ch.force(false);
                        String why = r.body().stalled() ? "stalled for " + transport.settings().readTimeout().toSeconds() + " s"
                                : "was cut off (" + e.getClass().getSimpleName() + ")";
                        throw new Cut(got, new RegistryException(Reason.UNREACHABLE, "the transfer of " + what + " from "
                                + target.name() + " " + why + " after " + (have + got) + " of " + d.size()
                                + " bytes; the next pull resumes it", e));
                    }
                    if (n < 0) {
                        break;
                    }
                    if (got + n > limit) {
                        out.flush();
                        Files.deleteIfExists(part);
                        throw tooLarge(target, d, what, have + got + n);
                    }
                    md.update(buf, 0, n);
                    out.write(buf, 0, n);
                    got += n;
                }
                out.flush();
                ch.force(true);
            }
            if (have + got < d.size()) {
                throw new Cut(got, new RegistryException(Reason.UNREACHABLE, "the transfer of " + what + " from "
                        + target.name() + " was truncated at " + (have + got) + " of " + d.size()
                        + " bytes; the next pull resumes it"));
            }
            finish(target, d, partials, Digest.of(md.digest()), what);
            return got;
        }
    }

    private static void finish(Target target, Descriptor d, PartialBlobs partials, Digest actual, String what)
            throws IOException {
        Path part = partials.path(d.digest());
        if (!actual.equals(d.digest())) {
            Files.deleteIfExists(part);
            throw new RegistryException(Reason.PROTOCOL, what + " from " + target.name()
                    + " does not match its digest (got " + actual + "); nothing was stored");
        }
        Files.setPosixFilePermissions(part, PosixFilePermissions.fromString("r--r--r--"));
        Files.move(part, partials.store().path(d.digest()), StandardCopyOption.ATOMIC_MOVE);
    }

    private static long rangeStart(Transport.Response r, Target target, String what) throws RegistryException {
        String cr = r.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(cr);
        if (!m.matches()) {
            throw new RegistryException(Reason.PROTOCOL, target.host() + " answered 206 without a valid Content-Range for "
                    + what + " in " + target.name());
        }
        try {
            return Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new RegistryException(Reason.PROTOCOL, target.host() + " answered an invalid Content-Range for "
                    + what + " in " + target.name());
        }
    }

    private static RegistryException tooLarge(Target target, Descriptor d, String what, long seen) {
        return new RegistryException(Reason.PROTOCOL, what + " from " + target.name() + " is larger than the "
                + d.size() + " bytes its manifest says (at least " + seen + "); nothing was stored");
    }

    private static MessageDigest hashPrefix(Path part) throws IOException {
        MessageDigest md = Sha256.newDigest();
        try (InputStream in = Files.newInputStream(part)) {
            byte[] buf = new byte[BUFFER];
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
            }
        }
        return md;
    }

    private static Digest hashOf(Path part) throws IOException {
        return Digest.of(hashPrefix(part).digest());
    }
}
