package dev.burrow.daemon.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A version's image in the shared blob store: {@code <versionDir>/image.json} holds the
 * descriptor of an OCI manifest whose config and layers are all in the store. Written once the
 * image is resolved; read by a Dockerfile's {@code FROM} of this version and by the collector.
 */
public final class ImageRecord {
    public static final String FILE = "image.json";
    private static final long MAX_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ImageRecord() {
    }

    /** Writes the record (temporary file, then rename: a record is whole or absent). */
    public static void write(Path versionDir, Descriptor manifest) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mediaType", manifest.mediaType());
        m.put("manifest", manifest.digest().toString());
        m.put("size", manifest.size());
        Path tmp = versionDir.resolve(FILE + ".tmp");
        Files.write(tmp, JSON.writeValueAsBytes(m));
        Files.move(tmp, versionDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The record of a version directory, empty when it has none (built before records existed, or failed early). */
    public static Optional<Descriptor> read(Path versionDir) throws IOException {
        Path f = versionDir.resolve(FILE);
        if (!Files.isRegularFile(f) || Files.size(f) > MAX_BYTES) {
            return Optional.empty();
        }
        JsonNode n = JSON.readTree(f.toFile());
        if (n == null || !n.hasNonNull("manifest") || !n.hasNonNull("mediaType")) {
            return Optional.empty();
        }
        return Optional.of(new Descriptor(n.get("mediaType").asText(), Digest.parse(n.get("manifest").asText()), n.path("size").asLong()));
    }
}
