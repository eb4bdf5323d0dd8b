package dev.burrow.daemon.aws;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches objects from the S3-compatible endpoint of {@link S3Settings}: a path-style
 * {@code GET <endpoint>/<bucket>/<key>} signed with {@link SigV4} (service {@code s3}, the key
 * encoded once, as botocore sends it), streamed to a file and capped. What
 * {@code codeArtifact.uri = s3://bucket/key} resolves through.
 */
public final class S3Objects {

    static final String SERVICE = "s3";
    /** The most of an error answer read for its code and message. */
    static final int MAX_ERROR_BYTES = 8192;
    static final int MAX_KEY_BYTES = 1024;
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern CODE = Pattern.compile("<Code>([^<]{1,100})</Code>");
    private static final Pattern MESSAGE = Pattern.compile("<Message>([^<]{1,500})</Message>");
    private static final int COPY_BUFFER = 64 * 1024;

    private final S3Settings settings;
    private final HttpClient http;
    private final Clock clock;

    S3Objects(S3Settings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings);
        this.clock = Objects.requireNonNull(clock);
        this.http = HttpClient.newBuilder().connectTimeout(settings.connectTimeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The fetcher of {@code settings}; empty when no endpoint is configured (s3:// URIs are then refused). */
    public static Optional<S3Objects> from(S3Settings settings) {
        return settings.configured() ? Optional.of(new S3Objects(settings, Clock.systemUTC())) : Optional.empty();
    }

    /**
     * Downloads {@code s3://bucket/key} to {@code target} (written to a temporary file beside it
     * and moved in, so {@code target} exists only complete) and returns its size. Refuses an
     * object larger than {@code maxBytes}, by its Content-Length or while reading.
     */
    public long download(String bucket, String key, Path target, long maxBytes) throws IOException {
        String where = "s3://" + bucket + "/" + key;
        if (bucket == null || !BUCKET.matcher(bucket).matches()) {
            throw new S3Exception(S3Exception.Kind.INVALID, "'" + bucket + "' is not an S3 bucket name (3 to 63 of a-z, 0-9, '.', '-')");
        }
        if (key == null || key.isEmpty() || key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            throw new S3Exception(S3Exception.Kind.INVALID, where + ": an object key is 1 to " + MAX_KEY_BYTES + " bytes");
        }
        URI uri = URI.create(settings.endpoint() + "/" + bucket + "/" + SigV4.encode(key, true));
        HttpResponse<InputStream> response = send(uri, where);
        CompletableFuture<Void> deadline = new CompletableFuture<>();
        deadline.completeOnTimeout(null, settings.downloadTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .thenRun(() -> closeQuietly(response.body()));
        try (InputStream body = response.body()) {
            int status = response.statusCode();
            if (status != 200) {
                throw failure(status, errorText(body), where);
            }
            OptionalLong length = response.headers().firstValueAsLong("content-length");
            if (length.isPresent() && length.getAsLong() > maxBytes) {
                throw tooLarge(where, length.getAsLong() + " bytes", maxBytes);
            }
            return copy(body, target, maxBytes, where);
        } catch (IOException e) {
            if (deadline.isDone() && !(e instanceof S3Exception)) {
                throw new S3Exception(S3Exception.Kind.UNAVAILABLE, where + " was not downloaded within " + settings.downloadTimeout(), e);
            }
            throw e;
        } finally {
            deadline.cancel(false);
        }
    }

    private HttpResponse<InputStream> send(URI uri, String where) throws IOException {
        Instant now = clock.instant();
        String amzDate = SigV4.amzDate(now);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET().timeout(settings.downloadTimeout())
                .header("x-amz-date", amzDate).header("x-amz-content-sha256", SigV4.EMPTY_PAYLOAD_HASH);
        if (settings.signed()) {
            Map<String, List<String>> headers = Map.of("host", List.of(hostHeader(uri)), "x-amz-date", List.of(amzDate),
                    "x-amz-content-sha256", List.of(SigV4.EMPTY_PAYLOAD_HASH));
            SigV4.Request r = new SigV4.Request("GET", uri.getRawPath(), uri.getRawQuery(), headers,
                    List.of("host", "x-amz-content-sha256", "x-amz-date"), SigV4.EMPTY_PAYLOAD_HASH);
            SigV4.Scope scope = new SigV4.Scope(amzDate.substring(0, 8), settings.region(), SERVICE);
            b.header("Authorization", SigV4.sign(r, amzDate, scope, settings.accessKeyId(), settings.secretAccessKey()));
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new S3Exception(S3Exception.Kind.UNAVAILABLE, "interrupted while fetching " + where, e);
        } catch (IOException e) {
            throw new S3Exception(S3Exception.Kind.UNAVAILABLE, "cannot reach the S3 endpoint " + settings.endpoint() + " for " + where
                    + ": " + e.getMessage(), e);
        }
    }

    /** The Host header Java's HTTP client sends: the port only when the URI names a non-default one. */
    static String hostHeader(URI uri) {
        int port = uri.getPort();
        boolean defaultPort = port == -1 || ("https".equals(uri.getScheme()) && port == 443) || ("http".equals(uri.getScheme()) && port == 80);
        return defaultPort ? uri.getHost() : uri.getHost() + ":" + port;
    }

    private long copy(InputStream body, Path target, long maxBytes, String where) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path part = Files.createTempFile(dir, target.getFileName().toString(), ".part");
        try {
            long total = 0;
            try (OutputStream out = Files.newOutputStream(part)) {
                byte[] buf = new byte[COPY_BUFFER];
                for (int n; (n = body.read(buf)) > 0; ) {
                    total += n;
                    if (total > maxBytes) {
                        throw tooLarge(where, "more than " + maxBytes + " bytes", maxBytes);
                    }
                    out.write(buf, 0, n);
                }
            }
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return total;
        } finally {
            Files.deleteIfExists(part);
        }
    }

    private static S3Exception tooLarge(String where, String size, long maxBytes) {
        return new S3Exception(S3Exception.Kind.TOO_LARGE, where + " is " + size + "; at most " + maxBytes + " bytes are accepted");
    }

    private S3Exception failure(int status, String error, String where) {
        String code = match(CODE, error);
        String message = match(MESSAGE, error);
        String detail = code == null ? "" : " (" + code + (message == null ? "" : ": " + message) + ")";
        return switch (status) {
            case 404 -> new S3Exception(S3Exception.Kind.NOT_FOUND, where + " does not exist at the S3 endpoint " + settings.endpoint()
                    + ("NoSuchBucket".equals(code) ? ": there is no bucket " + where.substring(5, where.indexOf('/', 5)) : "") + detail);
            case 403 -> new S3Exception(S3Exception.Kind.ACCESS_DENIED, "access denied by the S3 endpoint " + settings.endpoint()
                    + " for " + where + detail);
            default -> new S3Exception(S3Exception.Kind.UNAVAILABLE, "the S3 endpoint " + settings.endpoint() + " answered HTTP " + status
                    + " for " + where + detail);
        };
    }

    private static String errorText(InputStream body) throws IOException {
        return new String(body.readNBytes(MAX_ERROR_BYTES), StandardCharsets.UTF_8);
    }

    private static String match(Pattern p, String s) {
        Matcher m = p.matcher(s);
        return m.find() ? m.group(1).replaceAll("\\p{Cntrl}", "?") : null;
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // the download fails on its own read
        }
    }
}
