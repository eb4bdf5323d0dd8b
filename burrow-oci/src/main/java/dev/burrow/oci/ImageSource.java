package dev.burrow.oci;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.oci.internal.ArchiveImporter;
import dev.burrow.oci.internal.BlobReader;
import dev.burrow.oci.internal.Json;
import dev.burrow.oci.internal.ManifestResolver;
import dev.burrow.oci.internal.Metadata;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An image to build from: an OCI layout directory, an oci-archive or a docker-archive.
 *
 * <p>Archives (files or streams) are read once, sequentially, and every file in them is imported
 * into the {@link BlobStore} while hashing; an OCI layout directory is read in place. Either way
 * {@link #resolve()} verifies every index, manifest and config it reads (size-capped at
 * {@link #MAX_METADATA_BYTES} before reading, digest-checked) and the unpacker verifies each
 * layer's bytes as it reads them.
 */
public final class ImageSource {
    /** The most bytes of one index, manifest or config read into memory. */
    public static final int MAX_METADATA_BYTES = Metadata.MAX_BYTES;
    /** RFC 6838 type/subtype with an optional +suffix: all a descriptor's media type may be. */
    private static final Pattern MEDIA_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");

    private final ImageFormat format;
    private final String origin;
    private final BlobReader blobs;
    private final byte[] topLevel; // index.json (OCI) or manifest.json (docker)
    private final Map<String, Digest> archivePaths;

    private ImageSource(ImageFormat format, String origin, BlobReader blobs, byte[] topLevel,
            Map<String, Digest> archivePaths) {
        this.format = format;
        this.origin = origin;
        this.blobs = blobs;
        this.topLevel = topLevel;
        this.archivePaths = archivePaths;
    }

    /** Opens a layout directory or an archive file, detecting which it is. */
    public static ImageSource open(Path path, BlobStore store) throws IOException {
        return open(path, null, store);
    }

    /**
     * Opens a layout directory or an archive file. {@code format} may be null to detect it; a
     * directory is always {@link ImageFormat#OCI_LAYOUT}.
     */
    public static ImageSource open(Path path, ImageFormat format, BlobStore store) throws IOException {
        Objects.requireNonNull(path, "path");
        if (Files.isDirectory(path)) {
            if (format != null && format != ImageFormat.OCI_LAYOUT) {
                throw new ImageException(path + " is a directory, not a " + format + " file");
            }
            return openLayout(path);
        }
        if (format == ImageFormat.OCI_LAYOUT) {
            throw new ImageException(path + " is not an OCI layout directory");
        }
        try (InputStream in = Files.newInputStream(path)) {
            return open(in, format, store, path.toString());
        } catch (NoSuchFileException e) {
            throw new ImageException("image " + path + " does not exist");
        }
    }

    /**
     * Reads an archive from a stream (an upload) into the blob store. {@code format} may be null
     * to detect it; {@link ImageFormat#OCI_LAYOUT} is not a stream format.
     */
    public static ImageSource open(InputStream in, ImageFormat format, BlobStore store) throws IOException {
        return open(in, format, store, "stream");
    }

    private static ImageSource open(InputStream in, ImageFormat format, BlobStore store, String origin)
            throws IOException {
        Objects.requireNonNull(store, "store");
        if (format == ImageFormat.OCI_LAYOUT) {
            throw new ImageException("an OCI layout is a directory; send a tar of it as " + ImageFormat.OCI_ARCHIVE);
        }
        ArchiveImporter.Imported imported = ArchiveImporter.importTar(in, store);
        Map<String, byte[]> meta = imported.metadata();
        boolean oci = meta.containsKey("index.json");
        boolean docker = meta.containsKey("manifest.json");
        ImageFormat detected;
        if (format == ImageFormat.DOCKER_ARCHIVE || (format == null && docker && !oci)) {
            if (!docker) {
                throw new ImageException("not a docker-archive: the archive has no manifest.json");
            }
            detected = ImageFormat.DOCKER_ARCHIVE;
        } else {
            if (!oci) {
                throw new ImageException(format == null
                        ? "not an image archive: it has neither index.json (oci-archive) nor manifest.json (docker-archive)"
                        : "not an oci-archive: the archive has no index.json");
            }
            detected = ImageFormat.OCI_ARCHIVE;
            checkLayoutVersion(meta.get("oci-layout"));
        }
        BlobReader reader = new StoreReader(store);
        byte[] top = meta.get(detected == ImageFormat.DOCKER_ARCHIVE ? "manifest.json" : "index.json");
        return new ImageSource(detected, origin, reader, top, imported.paths());
    }

    /**
     * An image already in the blob store (a registry pull, a Dockerfile build, a version's
     * record): {@code top} is its manifest or index, resolved to linux/amd64 like a layout's
     * {@code index.json} listing that one descriptor.
     */
    public static ImageSource fromStore(BlobStore store, Descriptor top) throws IOException {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(top, "top");
        if (!store.contains(top.digest())) {
            throw new ImageException("manifest " + top.digest() + " is not in the blob store");
        }
        if (!MEDIA_TYPE.matcher(top.mediaType()).matches()) {
            throw new ImageException("manifest " + top.digest() + " has no usable media type");
        }
        String index = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + top.mediaType() + "\",\"digest\":\""
                + top.digest() + "\",\"size\":" + top.size() + "}]}";
        return new ImageSource(ImageFormat.OCI_LAYOUT, "store:" + top.digest(), new StoreReader(store),
                index.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private static ImageSource openLayout(Path dir) throws IOException {
        Path layout = dir.resolve("oci-layout");
        if (Files.isRegularFile(layout)) {
            checkLayoutVersion(readSmallFile(layout, "oci-layout"));
        }
        Path index = dir.resolve("index.json");
        if (!Files.isRegularFile(index)) {
            throw new ImageException(dir + " is not an OCI layout: it has no index.json");
        }
        byte[] top = readSmallFile(index, "index.json");
        return new ImageSource(ImageFormat.OCI_LAYOUT, dir.toString(), new LayoutReader(dir), top, Map.of());
    }

    private static byte[] readSmallFile(Path file, String name) throws IOException {
        long size = Files.size(file);
        if (size > MAX_METADATA_BYTES) {
            throw Metadata.tooLarge(name, size);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return Metadata.readCapped(in, MAX_METADATA_BYTES, name);
        }
    }

    private static void checkLayoutVersion(byte[] ociLayout) throws ImageException {
        if (ociLayout == null) {
            return; // tolerated: some tools omit it
        }
        JsonNode n = Json.parse(ociLayout, "oci-layout");
        String v = Json.text(n, "imageLayoutVersion");
        if (v != null && !v.startsWith("1.")) {
            throw new ImageException("unsupported OCI imageLayoutVersion '" + v + "'");
        }
    }

    public ImageFormat format() {
        return format;
    }

    /** Where the image came from, for messages. */
    public String origin() {
        return origin;
    }

    /** Resolves to the linux/amd64 image, verifying the index, manifest and config. */
    public ResolvedImage resolve() throws IOException {
        ManifestResolver resolver = new ManifestResolver(blobs);
        return format == ImageFormat.DOCKER_ARCHIVE
                ? resolver.resolveDocker(topLevel, archivePaths)
                : resolver.resolveIndex(topLevel);
    }

    /**
     * Copies a resolved image into {@code store} as one OCI manifest: its config and layers
     * (verified against their digests while copied, skipped when the store has them) and a
     * manifest written by Burrow that lists them. Whatever the source's format (a docker-archive's
     * {@code manifest.json} is no OCI manifest), the returned descriptor opens again with
     * {@link #fromStore(BlobStore, Descriptor)}: what a version records as its image.
     */
    public Descriptor storeAsManifest(BlobStore store, ResolvedImage image) throws IOException {
        long configSize = copy(store, image.configDigest(), MAX_METADATA_BYTES);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
        manifest.put("config", Map.of("mediaType", MediaTypes.OCI_CONFIG, "digest", image.configDigest().toString(), "size", configSize));
        List<Map<String, Object>> layers = new ArrayList<>();
        for (Layer l : image.layers()) {
            copy(store, l.digest(), BlobStore.UNLIMITED);
            layers.add(Map.of("mediaType", l.mediaType(), "digest", l.digest().toString(), "size", l.size()));
        }
        manifest.put("layers", layers);
        byte[] bytes = Json.write(manifest);
        return new Descriptor(MediaTypes.OCI_MANIFEST, store.put(bytes), bytes.length);
    }

    private long copy(BlobStore store, Digest digest, long maxBytes) throws IOException {
        if (!store.contains(digest)) {
            try (InputStream in = blobs.open(digest)) {
                store.put(in, digest, maxBytes);
            }
        }
        return store.size(digest);
    }

    /** Opens a layer's raw (compressed) bytes. Unverified: {@link LayerUnpacker} checks them. */
    public InputStream openLayer(Layer layer) throws IOException {
        return blobs.open(layer.digest());
    }

    private record StoreReader(BlobStore store) implements BlobReader {
        @Override
        public long size(Digest digest) throws IOException {
            return store.contains(digest) ? store.size(digest) : -1;
        }

        @Override
        public InputStream open(Digest digest) throws IOException {
            return store.open(digest);
        }
    }

    private record LayoutReader(Path dir) implements BlobReader {
        private Path blob(Digest d) {
            return dir.resolve("blobs").resolve(Digest.ALGORITHM).resolve(d.hex());
        }

        @Override
        public long size(Digest digest) throws IOException {
            Path p = blob(digest);
            return Files.isRegularFile(p) ? Files.size(p) : -1;
        }

        @Override
        public InputStream open(Digest digest) throws IOException {
            try {
                return Files.newInputStream(blob(digest), LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                throw new ImageException("blob " + digest + " is missing from the image");
            }
        }
    }
}
