package dev.burrow.daemon.api;

import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.store.Ids;
import dev.burrow.daemon.store.Uploads;
import dev.burrow.oci.dockerfile.BuildContext;
import dev.burrow.oci.dockerfile.ContextLimits;
import dev.burrow.vmm.internal.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Where a {@code codeArtifact.uri} is on this host (SPEC §8): {@code burrow://uploads/<id>} (the
 * caller's own upload), {@code file:///…} (admin keys only), {@code s3://bucket/key} (fetched into
 * an upload of the caller's when an S3-compatible endpoint is configured). The artifact must be a
 * zip with a {@code Dockerfile} at its root: it is extracted once here by the same hostile-safe
 * extraction the build uses, so a bad zip is a ValidationException naming what is wrong, not a
 * failed version later.
 */
final class AwsCodeArtifacts {

    static final String SCHEMES = "burrow://uploads/<uploadId> (burrow upload FILE), file:///<path> (admin keys only)"
            + " or s3://<bucket>/<key>";
    private static final Pattern UPLOAD_ID = Pattern.compile("[a-z0-9]{1,64}");
    private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};
    private static final int BUFFER = 1 << 16;
    static final String NO_S3 = "no S3-compatible endpoint is configured (BURROW_S3_ENDPOINT)";

    /** Fetches an object of an S3-compatible store into {@code target}; the bytes written. */
    @FunctionalInterface
    interface S3Download {
        long download(String bucket, String key, Path target, long maxBytes) throws IOException;
    }

    /** The artifact on this host; {@code uploadId} is set when it is an upload (a build from it marks it used). */
    record Artifact(Path zip, String uploadId) {}

    private final Uploads uploads;
    private final Path uploadDir;
    private final S3Download s3;
    private final long maxBytes;
    private final Duration uploadTtl;
    private final ContextLimits limits;

    /** {@code s3} null: s3:// URIs are refused naming the setting. */
    AwsCodeArtifacts(Uploads uploads, Path uploadDir, S3Download s3, long maxBytes, Duration uploadTtl, ContextLimits limits) {
        this.uploads = uploads;
        this.uploadDir = uploadDir;
        this.s3 = s3;
        this.maxBytes = maxBytes;
        this.uploadTtl = uploadTtl;
        this.limits = limits;
    }

    /** The zip {@code uri} names for {@code tenant}, checked to be a build context with a root Dockerfile. */
    Artifact resolve(String tenant, boolean admin, String uri) throws IOException {
        Artifact a = locate(tenant, admin, uri);
        check(a.zip());
        return a;
    }

    private Artifact locate(String tenant, boolean admin, String uri) throws IOException {
        URI u;
        try {
            u = new URI(uri);
        } catch (URISyntaxException e) {
            throw AwsError.validation("codeArtifact.uri is not a URI (" + e.getReason() + "); use " + SCHEMES);
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme();
        return switch (scheme) {
            case "burrow" -> upload(tenant, u);
            case "file" -> {
                if (!admin) {
                    throw AwsError.accessDenied("codeArtifact.uri: file:// artifacts need an admin key; upload the zip"
                            + " (burrow upload FILE) and give burrow://uploads/<uploadId>");
                }
                if (u.getPath() == null || !u.getPath().startsWith("/") || (u.getHost() != null && !u.getHost().isEmpty())) {
                    throw AwsError.validation("codeArtifact.uri: a file URI names an absolute path on this host, file:///<path>");
                }
                Path p = Path.of(u.getPath());
                if (!Files.isRegularFile(p)) {
                    throw AwsError.validation("codeArtifact.uri: no file " + u.getPath() + " on this host");
                }
                yield new Artifact(p, null);
            }
            case "s3" -> fetch(tenant, u);
            default -> throw AwsError.validation("codeArtifact.uri must be " + SCHEMES + "; got '" + Queries.printable(uri) + "'");
        };
    }

    private Artifact upload(String tenant, URI u) {
        String path = u.getPath() == null ? "" : u.getPath();
        String id = path.startsWith("/") ? path.substring(1) : path;
        if (!"uploads".equals(u.getHost()) || !UPLOAD_ID.matcher(id).matches()) {
            throw AwsError.validation("codeArtifact.uri: a Burrow upload is burrow://uploads/<uploadId>; got '" + Queries.printable(u.toString()) + "'");
        }
        Path p = uploads.get(tenant, id).map(up -> up.path())
                .orElseThrow(() -> AwsError.validation("codeArtifact.uri: no upload " + id + " (expired, or from another account)"));
        return new Artifact(p, id);
    }

    /** The object, fetched into a new upload of the tenant's (it expires as uploads do). */
    private Artifact fetch(String tenant, URI u) throws IOException {
        if (s3 == null) {
            throw AwsError.validation("codeArtifact.uri: " + NO_S3 + "; give burrow://uploads/<uploadId> instead");
        }
        String bucket = u.getHost();
        String key = u.getPath() == null || u.getPath().length() < 2 ? null : u.getPath().substring(1);
        if (bucket == null || bucket.isEmpty() || key == null) {
            throw AwsError.validation("codeArtifact.uri: an S3 object is s3://<bucket>/<key>; got '" + Queries.printable(u.toString()) + "'");
        }
        Files.createDirectories(uploadDir);
        String id = "up" + Ids.newId("").toLowerCase();
        Path target = uploadDir.resolve(id);
        boolean kept = false;
        try {
            long bytes;
            try {
                bytes = s3.download(bucket, key, target, maxBytes);
            } catch (IOException e) {
                throw AwsError.validation("codeArtifact.uri: s3://" + bucket + "/" + key + " could not be fetched: " + e.getMessage());
            }
            uploads.record(id, tenant, target.toString(), bytes, sha256(target), Instant.now().plus(uploadTtl));
            kept = true;
            return new Artifact(target, id);
        } finally {
            if (!kept) {
                Files.deleteIfExists(target);
            }
        }
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[BUFFER];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** A zip, extractable within the context limits, with a Dockerfile at its root. */
    private void check(Path zip) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(zip)) {
            head = in.readNBytes(ZIP_MAGIC.length);
        }
        if (!Arrays.equals(head, ZIP_MAGIC)) {
            throw AwsError.validation("codeArtifact.uri: the artifact is not a zip archive (a zip with a Dockerfile at its root)");
        }
        Files.createDirectories(uploadDir);
        Path dir = uploadDir.resolve(".check-" + Ids.newId("").toLowerCase());
        try {
            BuildContext ctx;
            try {
                ctx = BuildContext.extract(zip, dir, limits);
            } catch (IOException e) {
                throw AwsError.validation("codeArtifact.uri: the zip cannot be used: " + e.getMessage());
            }
            try {
                ctx.dockerfile(null);
            } catch (IOException e) {
                throw AwsError.validation("codeArtifact.uri: the zip has no Dockerfile at its root (zip a folder's contents,"
                        + " not the folder): " + e.getMessage());
            }
        } finally {
            FileTrees.deleteQuietly(dir);
        }
    }
}
