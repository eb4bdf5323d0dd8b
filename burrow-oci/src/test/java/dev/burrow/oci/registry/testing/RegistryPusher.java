package dev.burrow.oci.registry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import dev.burrow.oci.MediaTypes;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.oci.Platform;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * Pushes images with the distribution push API: each blob in one monolithic upload
 * ({@code POST /v2/<repo>/blobs/uploads/}, then {@code PUT <location>?digest=…}), manifests
 * with {@code PUT /v2/<repo>/manifests/<ref>}. An OCI layout whose {@code index.json} lists one
 * manifest is pushed as that manifest; one listing several becomes a multi-platform index.
 */
public final class RegistryPusher {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final Function<String, String> authorization;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    /**
     * @param base          {@code http://127.0.0.1:port}
     * @param authorization the {@code Authorization} value for a repository, or null for none
     */
    public RegistryPusher(URI base, Function<String, String> authorization) {
        this.base = base;
        this.authorization = authorization;
    }

    /** Pushes an OCI layout under {@code tag}; returns the descriptor the tag now names. */
    public Descriptor push(String repo, String tag, Path layout) throws IOException {
        byte[] indexJson = Files.readAllBytes(layout.resolve("index.json"));
        JsonNode manifests = JSON.readTree(indexJson).get("manifests");
        List<Descriptor> pushed = new ArrayList<>();
        for (JsonNode m : manifests) {
            Digest d = Digest.parse(m.get("digest").asText());
            byte[] bytes = blob(layout, d);
            String type = m.get("mediaType").asText();
            pushTree(repo, layout, type, bytes);
            JsonNode p = m.get("platform");
            Platform platform = p == null ? null
                    : new Platform(p.get("os").asText(), p.get("architecture").asText(),
                            p.has("variant") ? p.get("variant").asText() : null);
            pushed.add(new Descriptor(type, d, bytes.length, platform));
        }
        if (pushed.size() == 1) {
            Descriptor only = pushed.get(0);
            putManifest(repo, tag, only.mediaType(), blob(layout, only.digest()));
            return only;
        }
        byte[] index = OciLayoutWriter.indexJson(pushed);
        putManifest(repo, tag, MediaTypes.OCI_INDEX, index);
        return new Descriptor(MediaTypes.OCI_INDEX, sha256(index), index.length);
    }

    private void pushTree(String repo, Path layout, String type, byte[] bytes) throws IOException {
        JsonNode json = JSON.readTree(bytes);
        if (MediaTypes.INDEXES.contains(type)) {
            for (JsonNode m : json.get("manifests")) {
                Digest d = Digest.parse(m.get("digest").asText());
                pushTree(repo, layout, m.get("mediaType").asText(), blob(layout, d));
            }
        } else {
            pushBlob(repo, blob(layout, Digest.parse(json.get("config").get("digest").asText())));
            for (JsonNode l : json.get("layers")) {
                pushBlob(repo, blob(layout, Digest.parse(l.get("digest").asText())));
            }
        }
        putManifest(repo, sha256(bytes).toString(), type, bytes);
    }

    private static byte[] blob(Path layout, Digest d) throws IOException {
        return Files.readAllBytes(layout.resolve("blobs").resolve(Digest.ALGORITHM).resolve(d.hex()));
    }

    /** Uploads one blob in one piece. */
    public Digest pushBlob(String repo, byte[] bytes) throws IOException {
        Digest d = sha256(bytes);
        HttpResponse<String> start = send(repo, HttpRequest.newBuilder(base.resolve("/v2/" + repo + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        expect(start, 202, "start an upload to " + repo);
        URI location = base.resolve(start.headers().firstValue("Location").orElseThrow());
        String sep = location.getRawQuery() == null ? "?" : "&";
        URI put = URI.create(location + sep + "digest=" + d);
        HttpResponse<String> done = send(repo, HttpRequest.newBuilder(put)
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)));
        expect(done, 201, "upload " + d + " to " + repo);
        return d;
    }

    /** Puts a manifest or index under a tag or its digest. */
    public void putManifest(String repo, String reference, String mediaType, byte[] bytes) throws IOException {
        HttpResponse<String> r = send(repo, HttpRequest.newBuilder(base.resolve("/v2/" + repo + "/manifests/" + reference))
                .header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)));
        expect(r, 201, "put manifest " + reference + " in " + repo);
    }

    private HttpResponse<String> send(String repo, HttpRequest.Builder b) throws IOException {
        b.timeout(TIMEOUT);
        String auth = authorization == null ? null : authorization.apply(repo);
        if (auth != null) {
            b.header("Authorization", auth);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while pushing to " + repo, e);
        }
    }

    private static void expect(HttpResponse<String> r, int status, String what) throws IOException {
        if (r.statusCode() != status) {
            throw new IOException("could not " + what + ": " + r.statusCode() + " " + r.body());
        }
    }

    static Digest sha256(byte[] bytes) {
        try {
            return new Digest(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
