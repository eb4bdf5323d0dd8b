package dev.burrow.daemon.space.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * The blobs an image needs: its manifest (or index, and the manifests it lists that are in the
 * store — a pull fetches one platform's), their configs and layers. Every read is bounded; an
 * image whose top manifest is missing or unreadable is an error, so the caller keeps everything
 * rather than guess.
 */
public final class ManifestBlobs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlobStore store;
    private final long maxBytes;
    private final int maxManifests;

    public ManifestBlobs(BlobStore store, long maxBytes, int maxManifests) {
        this.store = store;
        this.maxBytes = maxBytes;
        this.maxManifests = maxManifests;
    }

    /** Adds to {@code out} every blob the image whose top manifest or index is {@code top} needs. */
    public void collect(Digest top, Set<Digest> out) throws IOException {
        Deque<Digest> pending = new ArrayDeque<>();
        Set<Digest> seen = new HashSet<>();
        pending.push(top);
        while (!pending.isEmpty()) {
            Digest d = pending.pop();
            if (!seen.add(d)) {
                continue;
            }
            if (seen.size() > maxManifests) {
                throw new IOException("image " + top + " lists more than " + maxManifests + " manifests");
            }
            out.add(d);
            Path f = store.path(d);
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                if (d.equals(top)) {
                    throw new IOException("manifest " + d + " is not in the blob store");
                }
                continue; // another platform's manifest of an index: never pulled
            }
            if (Files.size(f) > maxBytes) {
                throw new IOException("manifest " + d + " is larger than " + maxBytes + " bytes");
            }
            JsonNode n;
            try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
                n = JSON.readTree(in);
            }
            if (n == null || !n.isObject()) {
                throw new IOException("manifest " + d + " is not a JSON object");
            }
            for (JsonNode m : n.path("manifests")) {
                pending.push(Digest.parse(m.path("digest").asText(null)));
            }
            if (n.has("config")) {
                out.add(Digest.parse(n.path("config").path("digest").asText(null)));
            }
            for (JsonNode l : n.path("layers")) {
                out.add(Digest.parse(l.path("digest").asText(null)));
            }
        }
    }
}
