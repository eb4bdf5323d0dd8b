package dev.burrow.oci;

import dev.burrow.oci.internal.DirectoryScanner;
import dev.burrow.oci.internal.Json;
import dev.burrow.oci.internal.LayerBlobWriter;
import dev.burrow.oci.internal.Sha256;
import dev.burrow.oci.internal.TarWriting;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Writes images: OCI image layouts (single- or multi-layer), oci-archives and docker-archives.
 * Output is deterministic: fixed modification times ({@link #FIXED_MTIME} unless an entry sets
 * its own), directory trees in sorted order, stable JSON. Used for test fixtures and for the
 * images Burrow builds itself (busybox, Debian).
 */
public final class OciLayoutWriter {
    public static final Instant FIXED_MTIME = Instant.parse("2000-01-01T00:00:00Z");

    private sealed interface LayerInput permits Entries, Raw {
    }

    private record Entries(List<TarEntrySpec> entries) implements LayerInput {
    }

    private record Raw(byte[] bytes, String mediaType, Digest diffId) implements LayerInput {
    }

    private final ImageConfig config;
    private final List<LayerInput> layers = new ArrayList<>();
    private Platform platform = Platform.LINUX_AMD64;
    private Compression compression = Compression.GZIP;
    private Map<String, String> manifestAnnotations = Map.of();

    public OciLayoutWriter(ImageConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** The platform recorded in the config (and in the index entry). Default linux/amd64. */
    public OciLayoutWriter platform(Platform p) {
        this.platform = Objects.requireNonNull(p, "platform");
        return this;
    }

    /** Layer compression for OCI layouts. Default gzip. docker-archives always hold plain tars. */
    public OciLayoutWriter compression(Compression c) {
        this.compression = Objects.requireNonNull(c, "compression");
        return this;
    }

    /** Annotations on the manifest (e.g. to pad it in tests). */
    public OciLayoutWriter manifestAnnotations(Map<String, String> annotations) {
        this.manifestAnnotations = Map.copyOf(annotations);
        return this;
    }

    /** Adds a layer of the given entries, written in the order given. */
    public OciLayoutWriter addLayer(List<TarEntrySpec> entries) {
        layers.add(new Entries(List.copyOf(entries)));
        return this;
    }

    /** Adds a layer holding a directory tree (sorted; ownership, modes, links and xattrs kept). */
    public OciLayoutWriter addLayer(Path directory) throws IOException {
        return addLayer(DirectoryScanner.scan(directory));
    }

    /**
     * Adds a layer blob verbatim (tests use this for corrupt or truncated layers). Its diffId in
     * the config is {@code diffId}, or the digest of the bytes when null.
     */
    public OciLayoutWriter addRawLayer(byte[] bytes, String mediaType, Digest diffId) {
        layers.add(new Raw(bytes.clone(), mediaType, diffId));
        return this;
    }

    /**
     * Writes layers, config and manifest into {@code layoutDir/blobs/sha256} and returns the
     * manifest's descriptor (with the platform). Does not write {@code index.json}.
     */
    public Descriptor writeBlobs(Path layoutDir) throws IOException {
        Path blobDir = blobDir(layoutDir);
        List<Map<String, Object>> layerDescs = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (LayerInput in : layers) {
            switch (in) {
                case Entries e -> {
                    LayerBlobWriter.Written w = LayerBlobWriter.write(e.entries(), compression, blobDir, FIXED_MTIME);
                    layerDescs.add(descriptor(layerMediaType(compression), w.digest(), w.size()));
                    diffIds.add(w.diffId().toString());
                }
                case Raw r -> {
                    Digest d = LayerBlobWriter.writeBlob(r.bytes(), blobDir);
                    layerDescs.add(descriptor(r.mediaType(), d, r.bytes().length));
                    diffIds.add((r.diffId() != null ? r.diffId() : uncompressedDigest(r.bytes(), d)).toString());
                }
            }
        }
        byte[] configJson = configJson(diffIds);
        Digest configDigest = LayerBlobWriter.writeBlob(configJson, blobDir);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
        manifest.put("config", descriptor(MediaTypes.OCI_CONFIG, configDigest, configJson.length));
        manifest.put("layers", layerDescs);
        if (!manifestAnnotations.isEmpty()) {
            manifest.put("annotations", manifestAnnotations);
        }
        byte[] manifestJson = Json.write(manifest);
        Digest manifestDigest = LayerBlobWriter.writeBlob(manifestJson, blobDir);
        return new Descriptor(MediaTypes.OCI_MANIFEST, manifestDigest, manifestJson.length, platform);
    }

    /** Writes a complete single-image OCI layout and returns the manifest descriptor. */
    public Descriptor writeLayout(Path layoutDir) throws IOException {
        Descriptor d = writeBlobs(layoutDir);
        writeIndex(layoutDir, List.of(d));
        return d;
    }

    /** Writes {@code oci-layout} and an {@code index.json} listing the given manifests or indexes. */
    public static void writeIndex(Path layoutDir, List<Descriptor> manifests) throws IOException {
        Files.createDirectories(layoutDir);
        Files.writeString(layoutDir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}", StandardCharsets.UTF_8);
        Files.write(layoutDir.resolve("index.json"), indexJson(manifests));
    }

    /** The JSON of an image index listing the given descriptors. */
    public static byte[] indexJson(List<Descriptor> manifests) {
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Descriptor d : manifests) {
            Map<String, Object> m = descriptor(d.mediaType(), d.digest(), d.size());
            if (d.platform() != null) {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("architecture", d.platform().architecture());
                p.put("os", d.platform().os());
                if (d.platform().variant() != null) {
                    p.put("variant", d.platform().variant());
                }
                m.put("platform", p);
            }
            list.add(m);
        }
        index.put("manifests", list);
        return Json.write(index);
    }

    /** Stores a blob in a layout (e.g. a nested index) and returns its digest. */
    public static Digest writeBlob(Path layoutDir, byte[] bytes) throws IOException {
        return LayerBlobWriter.writeBlob(bytes, blobDir(layoutDir));
    }

    /** Tars an OCI layout directory into an oci-archive (sorted, fixed times, root-owned). */
    public static void toArchive(Path layoutDir, Path tarFile) throws IOException {
        List<TarEntrySpec> entries = new ArrayList<>();
        for (String top : List.of("oci-layout", "index.json")) {
            if (Files.isRegularFile(layoutDir.resolve(top))) {
                entries.add(TarEntrySpec.file(top, layoutDir.resolve(top)));
            }
        }
        entries.add(TarEntrySpec.dir("blobs"));
        entries.add(TarEntrySpec.dir("blobs/sha256"));
        try (Stream<Path> blobs = Files.list(blobDir(layoutDir))) {
            for (Path b : blobs.sorted().toList()) {
                entries.add(TarEntrySpec.file("blobs/sha256/" + b.getFileName(), b));
            }
        }
        try (OutputStream out = Files.newOutputStream(tarFile)) {
            TarWriting.write(entries, out, FIXED_MTIME);
        }
    }

    /**
     * Writes this image as a {@code docker save} archive: {@code manifest.json} (Config, RepoTags,
     * Layers), the config as {@code <hex>.json} and each layer as {@code <diffId hex>/layer.tar}.
     * Entry layers are written uncompressed, as docker does; raw layers verbatim.
     */
    public void writeDockerArchive(Path tarFile, String repoTag) throws IOException {
        Path work = Files.createTempDirectory(tarFile.toAbsolutePath().getParent(), ".docker-archive-");
        try {
            List<TarEntrySpec> entries = new ArrayList<>();
            List<String> layerPaths = new ArrayList<>();
            List<String> diffIds = new ArrayList<>();
            for (LayerInput in : layers) {
                Path blob;
                Digest diffId;
                switch (in) {
                    case Entries e -> {
                        LayerBlobWriter.Written w = LayerBlobWriter.write(e.entries(), Compression.NONE, work, FIXED_MTIME);
                        blob = work.resolve(w.digest().hex());
                        diffId = w.diffId();
                    }
                    case Raw r -> {
                        Digest d = LayerBlobWriter.writeBlob(r.bytes(), work);
                        blob = work.resolve(d.hex());
                        diffId = r.diffId() != null ? r.diffId() : uncompressedDigest(r.bytes(), d);
                    }
                }
                String dir = Sha256.of((diffId + "/" + layerPaths.size()).getBytes(StandardCharsets.UTF_8)).hex();
                entries.add(TarEntrySpec.dir(dir));
                entries.add(TarEntrySpec.file(dir + "/layer.tar", blob));
                layerPaths.add(dir + "/layer.tar");
                diffIds.add(diffId.toString());
            }
            byte[] configJson = configJson(diffIds);
            String configName = Sha256.of(configJson).hex() + ".json";
            entries.add(TarEntrySpec.file(configName, configJson));
            Map<String, Object> image = new LinkedHashMap<>();
            image.put("Config", configName);
            image.put("RepoTags", repoTag == null ? List.of() : List.of(repoTag));
            image.put("Layers", layerPaths);
            entries.add(TarEntrySpec.file("manifest.json", Json.write(List.of(image))));
            try (OutputStream out = Files.newOutputStream(tarFile)) {
                TarWriting.write(entries, out, FIXED_MTIME);
            }
        } finally {
            try (Stream<Path> s = Files.walk(work)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private byte[] configJson(List<String> diffIds) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("created", FIXED_MTIME.toString());
        c.put("architecture", platform.architecture());
        c.put("os", platform.os());
        if (platform.variant() != null) {
            c.put("variant", platform.variant());
        }
        c.put("config", runtimeConfig(config));
        Map<String, Object> rootfs = new LinkedHashMap<>();
        rootfs.put("type", "layers");
        rootfs.put("diff_ids", diffIds);
        c.put("rootfs", rootfs);
        return Json.write(c);
    }

    private static Map<String, Object> runtimeConfig(ImageConfig cfg) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (cfg.user() != null) {
            m.put("User", cfg.user());
        }
        if (!cfg.exposedPorts().isEmpty()) {
            Map<String, Object> ports = new LinkedHashMap<>();
            cfg.exposedPorts().forEach(p -> ports.put(p, Map.of()));
            m.put("ExposedPorts", ports);
        }
        if (!cfg.env().isEmpty()) {
            m.put("Env", cfg.env());
        }
        if (cfg.entrypoint() != null) {
            m.put("Entrypoint", cfg.entrypoint());
        }
        if (cfg.cmd() != null) {
            m.put("Cmd", cfg.cmd());
        }
        if (cfg.workingDir() != null) {
            m.put("WorkingDir", cfg.workingDir());
        }
        if (!cfg.labels().isEmpty()) {
            m.put("Labels", cfg.labels());
        }
        return m;
    }

    private static Map<String, Object> descriptor(String mediaType, Digest digest, long size) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mediaType", mediaType);
        m.put("digest", digest.toString());
        m.put("size", size);
        return m;
    }

    private static String layerMediaType(Compression c) {
        return switch (c) {
            case GZIP -> MediaTypes.OCI_LAYER_GZIP;
            case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
            case NONE -> MediaTypes.OCI_LAYER;
        };
    }

    /** The digest of the decompressed bytes, or {@code fallback} when they do not decompress. */
    private static Digest uncompressedDigest(byte[] blob, Digest fallback) {
        try (java.io.BufferedInputStream in = new java.io.BufferedInputStream(new java.io.ByteArrayInputStream(blob))) {
            dev.burrow.oci.internal.HashingInputStream h = new dev.burrow.oci.internal.HashingInputStream(
                    dev.burrow.oci.internal.Decompression.open(in, dev.burrow.oci.internal.Decompression.sniff(in)));
            h.drain();
            return h.digest();
        } catch (IOException e) {
            return fallback;
        }
    }

    private static Path blobDir(Path layoutDir) {
        return layoutDir.resolve("blobs").resolve(Digest.ALGORITHM);
    }
}
