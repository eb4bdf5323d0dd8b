package dev.burrow.daemon.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The S3 fetch against a fake S3 (JDK HttpServer) that verifies every request's SigV4 signature with {@link SigV4}. */
class S3ObjectsTest {

    static final String AKID = "AKIAS3FAKEENDPOINT01";
    static final String SECRET = "s3/fake+secret/0123456789abcdefghijklmnop";
    static final String REGION = "eu-central-1";

    @TempDir
    Path dir;
    HttpServer server;
    final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    final List<String> verified = new CopyOnWriteArrayList<>();
    final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::serve);
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    S3Objects s3(String secret, Duration downloadTimeout) {
        URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        return new S3Objects(new S3Settings(endpoint, REGION, AKID, secret, Duration.ofSeconds(5), downloadTimeout), Clock.systemUTC());
    }

    S3Objects s3() {
        return s3(SECRET, Duration.ofSeconds(30));
    }

    /** A fake S3: 403 SignatureDoesNotMatch unless the signature is right, then the object or 404. */
    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), new ArrayList<>(v)));
            String authorization = headers.containsKey("authorization") ? headers.get("authorization").getFirst() : "";
            SigV4Authenticator.Authorization auth = SigV4Authenticator.parse(authorization);
            String amzDate = headers.get("x-amz-date").getFirst();
            SigV4.Request r = new SigV4.Request(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), ex.getRequestURI().getRawQuery(),
                    headers, auth.signedHeaders(), headers.get("x-amz-content-sha256").getFirst());
            String canonical = SigV4.canonicalRequest(r, SigV4.UriMode.AS_SENT);
            String expected = SigV4.signature(SECRET, auth.scope(), SigV4.stringToSign(amzDate, auth.scope(), canonical));
            boolean ok = auth.accessKeyId().equals(AKID) && auth.scope().service().equals("s3") && auth.scope().region().equals(REGION)
                    && auth.signedHeaders().containsAll(List.of("host", "x-amz-date", "x-amz-content-sha256"))
                    && MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), auth.signature().getBytes(StandardCharsets.US_ASCII));
            if (!ok) {
                error(ex, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
                return;
            }
            String path = ex.getRequestURI().getPath();
            verified.add(path);
            if (path.startsWith("/missing-bucket/")) {
                error(ex, 404, "NoSuchBucket", "The specified bucket does not exist");
            } else if (path.equals("/artifacts/stalls.zip")) {
                ex.sendResponseHeaders(200, 100);
                ex.getResponseBody().write(new byte[10]);
                ex.getResponseBody().flush();
                release.await();
            } else if (path.equals("/artifacts/endless.zip")) {
                ex.sendResponseHeaders(200, 0); // chunked: no length announced
                byte[] chunk = new byte[64 * 1024];
                for (int i = 0; i < 64; i++) {
                    ex.getResponseBody().write(chunk);
                }
            } else if (objects.containsKey(path)) {
                byte[] body = objects.get(path);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            } else {
                error(ex, 404, "NoSuchKey", "The specified key does not exist.");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (AwsError e) {
            error(ex, 403, "AccessDenied", e.getMessage());
        }
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        byte[] xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message
                + "</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/xml");
        ex.sendResponseHeaders(status, xml.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(xml);
        }
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    @Test
    void anObjectIsDownloadedPathStyleWithASignatureTheEndpointVerifies() throws Exception {
        byte[] zip = "PK\u0003\u0004 a zip with a Dockerfile".getBytes(StandardCharsets.UTF_8);
        objects.put("/artifacts/apps/my app:v1+2.zip", zip);
        Path target = dir.resolve("artifact.zip");
        assertThat(s3().download("artifacts", "apps/my app:v1+2.zip", target, 1024)).isEqualTo(zip.length);
        assertThat(Files.readAllBytes(target)).isEqualTo(zip);
        assertThat(verified).containsExactly("/artifacts/apps/my app:v1+2.zip");
        assertThat(leftovers()).containsExactly(target);
    }

    @Test
    @Tag("hostile")
    void aWrongSecretIsAccessDeniedNamingTheObject() {
        objects.put("/artifacts/app.zip", new byte[3]);
        assertThatThrownBy(() -> s3("not-the-secret", Duration.ofSeconds(30)).download("artifacts", "app.zip", dir.resolve("a.zip"), 1024))
                .isInstanceOfSatisfying(S3Exception.class, e -> {
                    assertThat(e.kind()).isEqualTo(S3Exception.Kind.ACCESS_DENIED);
                    assertThat(e.getMessage()).startsWith("access denied by the S3 endpoint").contains("s3://artifacts/app.zip")
                            .contains("SignatureDoesNotMatch").doesNotContain("not-the-secret");
                });
        assertThat(dir.resolve("a.zip")).doesNotExist();
    }

    @Test
    void aMissingKeyOrBucketIsNotFoundNamingBucketAndKey() {
        assertThatThrownBy(() -> s3().download("artifacts", "nope.zip", dir.resolve("a.zip"), 1024))
                .isInstanceOfSatisfying(S3Exception.class, e -> {
                    assertThat(e.kind()).isEqualTo(S3Exception.Kind.NOT_FOUND);
                    assertThat(e.getMessage()).contains("s3://artifacts/nope.zip does not exist").contains("NoSuchKey");
                });
        assertThatThrownBy(() -> s3().download("missing-bucket", "a.zip", dir.resolve("a.zip"), 1024))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.getMessage()).contains("there is no bucket missing-bucket"));
    }

    @Test
    @Tag("hostile")
    void anObjectOverTheCapIsRefusedByItsLengthOrWhileReadingAndLeavesNoFile() throws Exception {
        objects.put("/artifacts/big.zip", new byte[4096]);
        assertThatThrownBy(() -> s3().download("artifacts", "big.zip", dir.resolve("big.zip"), 4095))
                .isInstanceOfSatisfying(S3Exception.class, e -> {
                    assertThat(e.kind()).isEqualTo(S3Exception.Kind.TOO_LARGE);
                    assertThat(e.getMessage()).contains("4096 bytes").contains("at most 4095");
                });
        assertThatThrownBy(() -> s3().download("artifacts", "endless.zip", dir.resolve("endless.zip"), 1024 * 1024))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.kind()).isEqualTo(S3Exception.Kind.TOO_LARGE));
        assertThat(leftovers()).isEmpty();
        assertThat(s3().download("artifacts", "big.zip", dir.resolve("big.zip"), 4096)).isEqualTo(4096);
    }

    @Test
    @Tag("hostile")
    void anEndpointThatStallsMidBodyFailsAtTheDownloadDeadline() throws Exception {
        long start = System.nanoTime();
        assertThatThrownBy(() -> s3(SECRET, Duration.ofMillis(500)).download("artifacts", "stalls.zip", dir.resolve("s.zip"), 1024))
                .isInstanceOfSatisfying(S3Exception.class, e -> {
                    assertThat(e.kind()).isEqualTo(S3Exception.Kind.UNAVAILABLE);
                    assertThat(e.getMessage()).contains("was not downloaded within");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(leftovers()).isEmpty();
    }

    @Test
    @Tag("hostile")
    void aMalformedBucketOrKeyIsRefusedWithoutARequest() {
        for (String bucket : new String[] {"UPPER", "a", "../etc", "b/c"}) {
            assertThatThrownBy(() -> s3().download(bucket, "k", dir.resolve("x"), 10))
                    .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.kind()).isEqualTo(S3Exception.Kind.INVALID));
        }
        assertThatThrownBy(() -> s3().download("artifacts", "", dir.resolve("x"), 10)).isInstanceOf(S3Exception.class);
        assertThatThrownBy(() -> s3().download("artifacts", "k".repeat(1025), dir.resolve("x"), 10)).isInstanceOf(S3Exception.class);
        assertThat(verified).isEmpty();
    }

    @Test
    void theSettingsComeFromTheEnvironmentAndNoEndpointMeansNoFetcher() {
        assertThat(S3Objects.from(S3Settings.fromEnvironment(Map.of()))).isEmpty();
        S3Settings s = S3Settings.fromEnvironment(Map.of("BURROW_S3_ENDPOINT", "http://minio:9000/", "BURROW_S3_ACCESS_KEY_ID", "AK",
                "BURROW_S3_SECRET_ACCESS_KEY", "SK"));
        assertThat(s.endpoint()).isEqualTo(URI.create("http://minio:9000"));
        assertThat(s.region()).isEqualTo("us-east-1");
        assertThat(s.toString()).doesNotContain("SK");
        assertThat(S3Objects.from(s)).isPresent();
        assertThatThrownBy(() -> S3Settings.fromEnvironment(Map.of("BURROW_S3_ENDPOINT", "ftp://x"))).hasMessageContaining("http(s) URL");
        assertThatThrownBy(() -> S3Settings.fromEnvironment(Map.of("BURROW_S3_ENDPOINT", "http://x", "BURROW_S3_ACCESS_KEY_ID", "AK")))
                .hasMessageContaining("go together");
        assertThat(S3Objects.hostHeader(URI.create("https://s3.amazonaws.com:443/b"))).isEqualTo("s3.amazonaws.com");
        assertThat(S3Objects.hostHeader(URI.create("http://minio:9000/b"))).isEqualTo("minio:9000");
    }
}
