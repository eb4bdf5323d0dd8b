package dev.burrow.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.ImageException;
import dev.burrow.oci.Layer;
import dev.burrow.oci.MediaTypes;
import dev.burrow.oci.Platform;
import dev.burrow.oci.ResolvedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Walks index → manifest → config, choosing linux/amd64, verifying every blob it reads (size
 * capped before reading, digest checked before parsing, by {@link Metadata}).
 *
 * <p>Nested indexes are bounded: at most {@link #MAX_INDEX_DEPTH} levels, each index expanded
 * once however often it is referenced (a cycle is an error), at most
 * {@link #MAX_DESCRIPTORS_PER_INDEX} descriptors in one index and {@link #MAX_DESCRIPTORS} in all.
 * Not thread-safe: one resolver per resolution.
 */
public final class ManifestResolver {
    public static final int MAX_INDEX_DEPTH = 4;
    /** Descriptors in one index (a multi-platform image lists a few dozen). */
    public static final int MAX_DESCRIPTORS_PER_INDEX = 1024;
    /** Descriptors read across all the indexes of one image. */
    public static final int MAX_DESCRIPTORS = 4096;
    /** Layers of one image manifest (Docker's overlay driver stops at 128). */
    public static final int MAX_LAYERS = 256;
    private static final String ANNOTATION_REF_TYPE = "vnd.docker.reference.type";

    private final BlobReader blobs;
    private final Set<Digest> expanding = new HashSet<>();
    private final Set<Digest> expanded = new HashSet<>();
    private final Map<Digest, String> sniffed = new HashMap<>();
    private int descriptors;

    public ManifestResolver(BlobReader blobs) {
        this.blobs = blobs;
    }

    /** Resolves from an OCI layout's {@code index.json}. */
    public ResolvedImage resolveIndex(byte[] indexJson) throws IOException {
        JsonNode index = Json.parse(indexJson, "index.json");
        List<Descriptor> candidates = new ArrayList<>();
        collect(index, "index.json", 0, candidates);
        if (candidates.isEmpty()) {
            throw new ImageException("index.json lists no image manifests");
        }
        Set<String> found = new LinkedHashSet<>();
        for (Descriptor d : candidates) {
            if (d.platform() != null && d.platform().isLinuxAmd64()) {
                return resolveManifest(d);
            }
        }
        for (Descriptor d : candidates) {
            if (d.platform() == null) {
                return resolveManifest(d); // platform comes from its config
            }
            found.add(d.platform().toString());
        }
        throw wrongPlatform(found);
    }

    private void collect(JsonNode index, String name, int depth, List<Descriptor> out) throws IOException {
        JsonNode manifests = index.get("manifests");
        if (manifests == null || !manifests.isArray()) {
            throw new ImageException(name + " has no 'manifests' array");
        }
        if (manifests.size() > MAX_DESCRIPTORS_PER_INDEX) {
            throw new ImageException(name + " lists " + manifests.size() + " manifests; an index may list at most "
                    + MAX_DESCRIPTORS_PER_INDEX);
        }
        descriptors += manifests.size();
        if (descriptors > MAX_DESCRIPTORS) {
            throw new ImageException("the image's indexes list more than " + MAX_DESCRIPTORS + " manifests in all (at " + name + ")");
        }
        for (JsonNode m : manifests) {
            Descriptor d = descriptor(m, "a manifest in " + name);
            String type = d.mediaType();
            if (isAttestation(m) || "unknown".equals(d.platform() == null ? null : d.platform().os())) {
                continue;
            }
            if (type.isEmpty()) {
                type = sniffed.get(d.digest());
            }
            if (type == null || type.isEmpty()) {
                byte[] bytes = Metadata.read(blobs, d, "manifest");
                JsonNode node = Json.parse(bytes, "manifest " + d.digest());
                type = node.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
                sniffed.put(d.digest(), type);
            }
            if (MediaTypes.INDEXES.contains(type)) {
                if (expanding.contains(d.digest())) {
                    throw new ImageException("index " + d.digest() + " contains itself (through " + name + "); an index cannot be a cycle");
                }
                if (!expanded.add(d.digest())) {
                    continue; // listed again: its manifests are already collected
                }
                if (depth + 1 >= MAX_INDEX_DEPTH) {
                    throw new ImageException("image indexes are nested more than " + MAX_INDEX_DEPTH + " deep at " + d.digest());
                }
                byte[] bytes = Metadata.read(blobs, d, "index");
                JsonNode nested = Json.parse(bytes, "index " + d.digest());
                List<Descriptor> inner = new ArrayList<>();
                expanding.add(d.digest());
                collect(nested, "index " + d.digest(), depth + 1, inner);
                expanding.remove(d.digest());
                for (Descriptor i : inner) {
                    // a nested entry without a platform inherits the outer one
                    out.add(i.platform() == null && d.platform() != null ? i.withPlatform(d.platform()) : i);
                }
            } else if (MediaTypes.MANIFESTS.contains(type)) {
                out.add(new Descriptor(type, d.digest(), d.size(), d.platform()));
            } else if (type.equals("application/vnd.docker.distribution.manifest.v1+json")
                    || type.equals("application/vnd.docker.distribution.manifest.v1+prettyjws")) {
                throw new ImageException("manifest " + d.digest() + " is a Docker schema 1 manifest, which Burrow does not support");
            }
            // other artifact types (signatures, SBOMs…) are not images: ignore them
        }
    }

    private static boolean isAttestation(JsonNode m) {
        JsonNode ann = m.get("annotations");
        return ann != null && "attestation-manifest".equals(Json.text(ann, ANNOTATION_REF_TYPE));
    }

    /** Resolves one image manifest (OCI or Docker v2). */
    public ResolvedImage resolveManifest(Descriptor md) throws IOException {
        byte[] bytes = Metadata.read(blobs, md, "manifest");
        JsonNode manifest = Json.parse(bytes, "manifest " + md.digest());
        JsonNode schema = manifest.get("schemaVersion");
        if (schema == null || schema.asInt() != 2) {
            throw new ImageException("manifest " + md.digest() + " has schemaVersion " + schema + "; Burrow reads schema version 2");
        }
        if (manifest.has("manifests")) {
            throw new ImageException("manifest " + md.digest() + " is an index where a manifest was expected");
        }
        Descriptor configDesc = descriptor(manifest.get("config"), "the config of manifest " + md.digest());
        if (!configDesc.mediaType().isEmpty() && !MediaTypes.CONFIGS.contains(configDesc.mediaType())) {
            throw new ImageException("manifest " + md.digest() + " is not a container image (config media type "
                    + configDesc.mediaType() + ")");
        }
        JsonNode layersNode = manifest.get("layers");
        if (layersNode == null || !layersNode.isArray()) {
            throw new ImageException("manifest " + md.digest() + " has no 'layers' array");
        }
        if (layersNode.size() > MAX_LAYERS) {
            throw new ImageException("manifest " + md.digest() + " has " + layersNode.size() + " layers; Burrow applies at most " + MAX_LAYERS);
        }
        List<Descriptor> layerDescs = new ArrayList<>();
        for (JsonNode l : layersNode) {
            Descriptor d = descriptor(l, "a layer of manifest " + md.digest());
            if (!MediaTypes.LAYERS.contains(d.mediaType())) {
                throw new ImageException("layer " + d.digest() + " has unsupported media type '" + d.mediaType() + "'");
            }
            layerDescs.add(d);
        }
        byte[] configBytes = Metadata.read(blobs, configDesc, "config");
        ParsedConfig config = ParsedConfig.parse(configBytes, configDesc.digest());
        List<Layer> layers = layers(layerDescs, config);
        Platform platform = platformOf(config, md.platform());
        return new ResolvedImage(md.digest(), configDesc.digest(), config.config(), layers, platform);
    }

    /** Resolves the first image of a {@code docker save} {@code manifest.json}. */
    public ResolvedImage resolveDocker(byte[] manifestJson, Map<String, Digest> paths) throws IOException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(manifestJson);
        } catch (IOException e) {
            throw new ImageException("manifest.json is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isArray() || root.isEmpty()) {
            throw new ImageException("manifest.json lists no images");
        }
        JsonNode image = root.get(0);
        String configPath = Json.text(image, "Config");
        if (configPath == null) {
            throw new ImageException("manifest.json has no 'Config' for its first image");
        }
        Digest configDigest = archiveDigest(paths, configPath, "config");
        byte[] configBytes = Metadata.read(blobs, configDigest, "config");
        ParsedConfig config = ParsedConfig.parse(configBytes, configDigest);
        List<String> layerPaths = Json.strings(image, "Layers", "manifest.json");
        if (layerPaths == null) {
            throw new ImageException("manifest.json has no 'Layers' for its first image");
        }
        if (layerPaths.size() > MAX_LAYERS) {
            throw new ImageException("manifest.json lists " + layerPaths.size() + " layers; Burrow applies at most " + MAX_LAYERS);
        }
        List<Descriptor> layerDescs = new ArrayList<>();
        for (String p : layerPaths) {
            Digest d = archiveDigest(paths, p, "layer");
            layerDescs.add(new Descriptor(MediaTypes.DOCKER_LAYER, d, blobs.size(d)));
        }
        List<Layer> layers = layers(layerDescs, config);
        Platform platform = platformOf(config, null);
        return new ResolvedImage(Sha256.of(manifestJson), configDigest, config.config(), layers, platform);
    }

    private static Digest archiveDigest(Map<String, Digest> paths, String path, String what) throws ImageException {
        Digest d = paths.get(ArchiveImporter.normalize(path));
        if (d == null) {
            throw new ImageException("manifest.json names " + what + " '" + path + "', which is not in the archive");
        }
        return d;
    }

    private List<Layer> layers(List<Descriptor> descs, ParsedConfig config) throws IOException {
        List<Digest> diffIds = config.diffIds();
        if (diffIds != null && diffIds.size() != descs.size()) {
            throw new ImageException("config " + config.digest() + " lists " + diffIds.size()
                    + " rootfs.diff_ids for " + descs.size() + " layers");
        }
        List<Layer> out = new ArrayList<>();
        for (int i = 0; i < descs.size(); i++) {
            Descriptor d = descs.get(i);
            long actual = blobs.size(d.digest());
            if (actual < 0) {
                throw new ImageException("layer " + d.digest() + " is missing from the image");
            }
            if (actual != d.size()) {
                throw new ImageException("layer " + d.digest() + " is " + actual + " bytes but the manifest says " + d.size());
            }
            out.add(new Layer(d.digest(), d.size(), d.mediaType(), MediaTypes.declaredCompression(d.mediaType()),
                    diffIds == null ? null : diffIds.get(i)));
        }
        return out;
    }

    private static Platform platformOf(ParsedConfig config, Platform fromIndex) throws ImageException {
        Platform p = config.platform() != null ? config.platform() : fromIndex != null ? fromIndex : Platform.LINUX_AMD64;
        if (!p.isLinuxAmd64()) {
            throw wrongPlatform(Set.of(p.toString()));
        }
        return p;
    }

    static ImageException wrongPlatform(Set<String> found) {
        return new ImageException("image is for " + String.join(", ", found) + " only; Burrow boots linux/amd64");
    }

    static Descriptor descriptor(JsonNode n, String what) throws ImageException {
        if (n == null || !n.isObject()) {
            throw new ImageException(what + " is missing or not a descriptor");
        }
        String mediaType = Json.text(n, "mediaType");
        Digest digest;
        try {
            digest = Digest.parse(Json.text(n, "digest"));
        } catch (ImageException e) {
            throw new ImageException(what + ": " + e.getMessage());
        }
        JsonNode size = n.get("size");
        if (size == null || !size.canConvertToLong() || size.asLong() < 0) {
            throw new ImageException(what + " (" + digest + ") has no valid size");
        }
        Platform platform = null;
        JsonNode p = n.get("platform");
        if (p != null && p.isObject() && Json.text(p, "os") != null && Json.text(p, "architecture") != null) {
            platform = new Platform(Json.text(p, "os"), Json.text(p, "architecture"), Json.text(p, "variant"));
        }
        return new Descriptor(mediaType == null ? "" : mediaType, digest, size.asLong(), platform);
    }

    /** The fields of an image config Burrow uses. */
    record ParsedConfig(Digest digest, ImageConfig config, List<Digest> diffIds, Platform platform) {
        static ParsedConfig parse(byte[] bytes, Digest digest) throws ImageException {
            String name = "config " + digest;
            JsonNode root = Json.parse(bytes, name);
            JsonNode c = root.get("config");
            if (c == null || !c.isObject()) {
                c = root.get("container_config"); // very old docker configs
            }
            ImageConfig config = ImageConfig.EMPTY;
            if (c != null && c.isObject()) {
                Map<String, String> labels = new LinkedHashMap<>();
                JsonNode l = c.get("Labels");
                if (l != null && l.isObject()) {
                    l.properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
                }
                List<String> ports = new ArrayList<>();
                JsonNode ep = c.get("ExposedPorts");
                if (ep != null && ep.isObject()) {
                    ep.fieldNames().forEachRemaining(ports::add);
                }
                config = new ImageConfig(Json.strings(c, "Entrypoint", name), Json.strings(c, "Cmd", name),
                        Json.strings(c, "Env", name), Json.text(c, "WorkingDir"), Json.text(c, "User"), ports, labels);
            }
            List<Digest> diffIds = null;
            JsonNode rootfs = root.get("rootfs");
            if (rootfs != null && rootfs.get("diff_ids") != null) {
                diffIds = new ArrayList<>();
                for (String s : Json.strings(rootfs, "diff_ids", name)) {
                    try {
                        diffIds.add(Digest.parse(s));
                    } catch (ImageException e) {
                        throw new ImageException(name + ": rootfs.diff_ids: " + e.getMessage());
                    }
                }
            }
            Platform platform = null;
            String os = Json.text(root, "os");
            String arch = Json.text(root, "architecture");
            if (os != null && arch != null) {
                platform = new Platform(os, arch, Json.text(root, "variant"));
            }
            return new ParsedConfig(digest, config, diffIds, platform);
        }
    }
}
