package dev.burrow.daemon.images.build.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.ImageSource;
import dev.burrow.oci.Layer;
import dev.burrow.oci.MediaTypes;
import dev.burrow.oci.ResolvedImage;
import dev.burrow.oci.internal.Decompression;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * A stage's image as it grows: its layers (lowest first, each with its diff id), its history and,
 * once written, its config and manifest in the shared store. Written deterministically (no
 * {@code created} time, fixed key order), so an unchanged rebuild gives the same manifest digest.
 */
public final class StageImage {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Largest image config read from the store (as {@link ImageSource#MAX_METADATA_BYTES}). */
    private static final int MAX_CONFIG_BYTES = ImageSource.MAX_METADATA_BYTES;

    /** One layer of the image: a blob in the store and the digest of its uncompressed tar. */
    public record LayerRef(String mediaType, Digest digest, long size, Digest diffId) {}

    private final List<LayerRef> layers = new ArrayList<>();
    private final ArrayNode history;

    private StageImage(ArrayNode history) {
        this.history = history;
    }

    /** An image with no layers ({@code FROM scratch}). */
    public static StageImage empty() {
        return new StageImage(JsonNodeFactory.instance.arrayNode());
    }

    /** The image {@code manifest} in the store, with its layers and history; also returns its config. */
    public static Loaded load(BlobStore blobs, Descriptor manifest) throws IOException {
        ResolvedImage r = ImageSource.fromStore(blobs, manifest).resolve();
        JsonNode config;
        try (InputStream in = blobs.open(r.configDigest())) {
            config = JSON.readTree(in.readNBytes(MAX_CONFIG_BYTES));
        }
        JsonNode h = config.path("history");
        StageImage img = new StageImage(h.isArray() ? ((ArrayNode) h).deepCopy() : JsonNodeFactory.instance.arrayNode());
        for (Layer l : r.layers()) {
            Digest diffId = l.diffId() != null ? l.diffId() : diffIdOf(blobs, l.digest());
            img.layers.add(new LayerRef(l.mediaType(), l.digest(), l.size(), diffId));
        }
        return new Loaded(img, r.config(), r.manifestDigest());
    }

    /** A loaded image: the stage starts from {@code image} with {@code config}; {@code manifest} is the base's cache parent. */
    public record Loaded(StageImage image, ImageConfig config, Digest manifest) {}

    /** A copy to grow separately (a stage built FROM another stage). */
    public StageImage copy() {
        StageImage c = new StageImage(history.deepCopy());
        c.layers.addAll(layers);
        return c;
    }

    public List<LayerRef> layers() {
        return List.copyOf(layers);
    }

    /** Adds an uncompressed layer made by a step. */
    public void addLayer(Digest digest, long size, String createdBy) {
        layers.add(new LayerRef(MediaTypes.OCI_LAYER, digest, size, digest));
        history.addObject().put("created_by", createdBy);
    }

    /** Records a step that changed only the config. */
    public void addConfigStep(String createdBy) {
        history.addObject().put("created_by", createdBy).put("empty_layer", true);
    }

    /** Writes the config and the manifest into the store; returns the manifest's descriptor. */
    public Descriptor write(BlobStore blobs, ImageConfig c) throws IOException {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("architecture", "amd64");
        root.put("os", "linux");
        ObjectNode cfg = root.putObject("config");
        if (c.user() != null) {
            cfg.put("User", c.user());
        }
        if (!c.exposedPorts().isEmpty()) {
            ObjectNode ports = cfg.putObject("ExposedPorts");
            c.exposedPorts().forEach(p -> ports.putObject(p));
        }
        if (!c.env().isEmpty()) {
            ArrayNode env = cfg.putArray("Env");
            c.env().forEach(env::add);
        }
        if (c.entrypoint() != null) {
            ArrayNode ep = cfg.putArray("Entrypoint");
            c.entrypoint().forEach(ep::add);
        }
        if (c.cmd() != null) {
            ArrayNode cmd = cfg.putArray("Cmd");
            c.cmd().forEach(cmd::add);
        }
        if (c.workingDir() != null) {
            cfg.put("WorkingDir", c.workingDir());
        }
        if (!c.labels().isEmpty()) {
            ObjectNode labels = cfg.putObject("Labels");
            c.labels().forEach(labels::put);
        }
        ObjectNode rootfs = root.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode diffIds = rootfs.putArray("diff_ids");
        layers.forEach(l -> diffIds.add(l.diffId().toString()));
        root.set("history", history.deepCopy());
        byte[] configBytes = JSON.writeValueAsBytes(root);
        Digest configDigest = blobs.put(configBytes);

        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_MANIFEST);
        m.set("config", descriptor(MediaTypes.OCI_CONFIG, configDigest, configBytes.length));
        ArrayNode ls = m.putArray("layers");
        layers.forEach(l -> ls.add(descriptor(l.mediaType(), l.digest(), l.size())));
        byte[] manifest = JSON.writeValueAsBytes(m);
        return new Descriptor(MediaTypes.OCI_MANIFEST, blobs.put(manifest), manifest.length);
    }

    private static ObjectNode descriptor(String mediaType, Digest d, long size) {
        return JsonNodeFactory.instance.objectNode().put("mediaType", mediaType).put("digest", d.toString()).put("size", size);
    }

    /** The digest of a layer's uncompressed tar (a config without diff ids). */
    private static Digest diffIdOf(BlobStore blobs, Digest layer) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (BufferedInputStream raw = new BufferedInputStream(blobs.open(layer));
             InputStream in = Decompression.open(raw, Decompression.sniff(raw));
             OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), md)) {
            in.transferTo(out);
        }
        return Digest.of(md.digest());
    }

}
