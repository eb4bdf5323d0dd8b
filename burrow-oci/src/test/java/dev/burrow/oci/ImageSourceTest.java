package dev.burrow.oci;

import static dev.burrow.oci.TarEntrySpec.file;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageSourceTest {
    static final Platform ARM64 = Platform.of("linux", "arm64");

    @TempDir
    Path tmp;
    Path layout;
    BlobStore store;

    @BeforeEach
    void setUp() throws IOException {
        layout = tmp.resolve("layout");
        store = new BlobStore(tmp.resolve("store"));
    }

    private Descriptor image(Platform p, String marker) throws IOException {
        return new OciLayoutWriter(ImageConfig.builder().label("marker", marker).build()).platform(p)
                .addLayer(List.of(file("marker", marker))).writeBlobs(layout);
    }

    @Test
    void anImageStoredAsOneManifestOpensFromTheStoreWithTheSameConfigAndLayers() throws IOException {
        Descriptor arm = image(ARM64, "arm");
        Descriptor amd = image(Platform.LINUX_AMD64, "amd");
        OciLayoutWriter.writeIndex(layout, List.of(arm, amd));
        ImageSource source = ImageSource.open(layout, store);
        ResolvedImage original = source.resolve();

        Descriptor stored = source.storeAsManifest(store, original);
        ResolvedImage again = ImageSource.fromStore(store, stored).resolve();

        assertThat(stored.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(again.configDigest()).isEqualTo(original.configDigest());
        assertThat(again.layers()).extracting(Layer::digest).containsExactlyElementsOf(
                original.layers().stream().map(Layer::digest).toList());
        assertThat(again.config().labels()).containsEntry("marker", "amd");
        assertThat(store.contains(original.layers().getFirst().digest())).isTrue();
    }

    @Test
    void aManifestMissingFromTheStoreIsNamed() {
        Descriptor absent = new Descriptor(MediaTypes.OCI_MANIFEST, Digest.of(new byte[32]), 10);
        assertThatThrownBy(() -> ImageSource.fromStore(store, absent))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("is not in the blob store");
    }

    @Test
    void indexWithOnlyArm64Fails() throws IOException {
        OciLayoutWriter.writeIndex(layout, List.of(image(ARM64, "arm")));
        assertThatThrownBy(() -> ImageSource.open(layout, store).resolve())
                .isInstanceOf(ImageException.class)
                .hasMessage("image is for linux/arm64 only; Burrow boots linux/amd64");
    }

    @Test
    void indexWithSeveralOtherPlatformsNamesThemAll() throws IOException {
        OciLayoutWriter.writeIndex(layout, List.of(image(ARM64, "arm"),
                image(new Platform("linux", "arm", "v7"), "arm7")));
        assertThatThrownBy(() -> ImageSource.open(layout, store).resolve())
                .hasMessage("image is for linux/arm64, linux/arm/v7 only; Burrow boots linux/amd64");
    }

    @Test
    void indexWithAmd64AndArm64PicksAmd64() throws IOException {
        Descriptor arm = image(ARM64, "arm");
        Descriptor amd = image(Platform.LINUX_AMD64, "amd");
        OciLayoutWriter.writeIndex(layout, List.of(arm, amd));
        ResolvedImage r = ImageSource.open(layout, store).resolve();
        assertThat(r.manifestDigest()).isEqualTo(amd.digest());
        assertThat(r.config().labels()).containsEntry("marker", "amd");
        assertThat(r.platform()).isEqualTo(Platform.LINUX_AMD64);
    }

    @Test
    void nestedIndexResolvesToAmd64() throws IOException {
        Descriptor arm = image(ARM64, "arm");
        Descriptor amd = image(Platform.LINUX_AMD64, "amd");
        byte[] nested = OciLayoutWriter.indexJson(List.of(arm, amd));
        Digest nestedDigest = OciLayoutWriter.writeBlob(layout, nested);
        OciLayoutWriter.writeIndex(layout, List.of(new Descriptor(MediaTypes.OCI_INDEX, nestedDigest, nested.length)));
        assertThat(ImageSource.open(layout, store).resolve().manifestDigest()).isEqualTo(amd.digest());
    }

    @Test
    void manifestWithoutPlatformIsCheckedAgainstItsConfig() throws IOException {
        Descriptor arm = image(ARM64, "arm");
        OciLayoutWriter.writeIndex(layout, List.of(new Descriptor(arm.mediaType(), arm.digest(), arm.size())));
        assertThatThrownBy(() -> ImageSource.open(layout, store).resolve())
                .hasMessage("image is for linux/arm64 only; Burrow boots linux/amd64");
    }

    @Test
    void manifestLargerThanTheCapFailsBeforeReading() throws IOException {
        Descriptor big = new OciLayoutWriter(ImageConfig.EMPTY)
                .manifestAnnotations(Map.of("padding", "x".repeat(ImageSource.MAX_METADATA_BYTES)))
                .addLayer(List.of(file("a", "a"))).writeBlobs(layout);
        OciLayoutWriter.writeIndex(layout, List.of(big));
        assertThatThrownBy(() -> ImageSource.open(layout, store).resolve())
                .hasMessage("manifest " + big.digest() + " is " + big.size()
                        + " bytes; Burrow reads at most 4194304 bytes of image metadata (index, manifest or config)");
    }

    @Test
    void manifestWhoseDescriptorUnderstatesItsSizeFails() throws IOException {
        Descriptor big = new OciLayoutWriter(ImageConfig.EMPTY)
                .manifestAnnotations(Map.of("padding", "x".repeat(ImageSource.MAX_METADATA_BYTES)))
                .addLayer(List.of(file("a", "a"))).writeBlobs(layout);
        OciLayoutWriter.writeIndex(layout, List.of(new Descriptor(big.mediaType(), big.digest(), 100, big.platform())));
        assertThatThrownBy(() -> ImageSource.open(layout, store).resolve())
                .hasMessageContaining("manifest " + big.digest() + " is " + big.size() + " bytes; Burrow reads at most");
    }

    @Test
    void oversizedIndexJsonInAnArchiveFails() throws IOException {
        OciLayoutWriter.writeIndex(layout, List.of(image(Platform.LINUX_AMD64, "amd")));
        Files.writeString(layout.resolve("index.json"), " ".repeat(ImageSource.MAX_METADATA_BYTES + 1));
        Path tar = tmp.resolve("image.tar");
        OciLayoutWriter.toArchive(layout, tar);
        assertThatThrownBy(() -> ImageSource.open(tar, store))
                .hasMessageStartingWith("index.json in the archive is 4194305 bytes; Burrow reads at most");
    }

    @Test
    void otherDigestAlgorithmsAreRejected() throws IOException {
        Files.createDirectories(layout);
        Files.writeString(layout.resolve("index.json"), """
                {"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",
                 "digest":"sha512:%s","size":10}]}""".formatted("ab".repeat(64)));
        assertThatThrownBy(() -> ImageSource.open(layout, store).resolve())
                .hasMessageContaining("unsupported digest algorithm 'sha512'")
                .hasMessageContaining("Burrow verifies sha256 digests only");
    }

    @Test
    void digestsThatCouldBePathsAreRejected() throws IOException {
        Files.createDirectories(layout);
        Files.writeString(layout.resolve("index.json"), """
                {"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",
                 "digest":"sha256:../../../etc/passwd","size":10}]}""");
        assertThatThrownBy(() -> ImageSource.open(layout, store).resolve())
                .hasMessageContaining("malformed sha256 digest");
    }

    @Test
    void manifestBytesThatDoNotMatchTheirDigestFail() throws IOException {
        Descriptor d = image(Platform.LINUX_AMD64, "amd");
        OciLayoutWriter.writeIndex(layout, List.of(d));
        Path blob = layout.resolve("blobs/sha256/" + d.digest().hex());
        byte[] bytes = Files.readAllBytes(blob);
        bytes[bytes.length - 2] = ' ';
        Files.write(blob, bytes);
        assertThatThrownBy(() -> ImageSource.open(layout, store).resolve())
                .hasMessageStartingWith("manifest " + d.digest() + " does not match its digest (got sha256:");
    }

    @Test
    void missingLayerIsNamed() throws IOException {
        Descriptor d = image(Platform.LINUX_AMD64, "amd");
        OciLayoutWriter.writeIndex(layout, List.of(d));
        ResolvedImage r = ImageSource.open(layout, store).resolve();
        Files.delete(layout.resolve("blobs/sha256/" + r.layers().getFirst().digest().hex()));
        assertThatThrownBy(() -> ImageSource.open(layout, store).resolve())
                .hasMessage("layer " + r.layers().getFirst().digest() + " is missing from the image");
    }

    @Test
    void dockerArchiveForArm64Fails() throws IOException {
        Path tar = tmp.resolve("docker.tar");
        new OciLayoutWriter(ImageConfig.EMPTY).platform(ARM64).addLayer(List.of(file("a", "a")))
                .writeDockerArchive(tar, "arm:latest");
        assertThatThrownBy(() -> ImageSource.open(tar, store).resolve())
                .hasMessage("image is for linux/arm64 only; Burrow boots linux/amd64");
    }

    @Test
    void streamThatIsNotAnImageFails() {
        assertThatThrownBy(() -> ImageSource.open(new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8)),
                null, store)).isInstanceOf(ImageException.class);
    }

    @Test
    void tarWithoutImageMetadataFails() throws IOException {
        Path tar = tmp.resolve("other.tar");
        try (var out = Files.newOutputStream(tar)) {
            dev.burrow.oci.internal.TarWriting.write(List.of(file("readme", "hi")), out, OciLayoutWriter.FIXED_MTIME);
        }
        assertThatThrownBy(() -> ImageSource.open(tar, store))
                .hasMessage("not an image archive: it has neither index.json (oci-archive) nor manifest.json (docker-archive)");
    }

    @Test
    void gzippedOciArchiveStreamIsAccepted() throws IOException {
        OciLayoutWriter.writeIndex(layout, List.of(image(Platform.LINUX_AMD64, "amd")));
        Path tar = tmp.resolve("image.tar");
        OciLayoutWriter.toArchive(layout, tar);
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (var out = new java.util.zip.GZIPOutputStream(gz)) {
            Files.copy(tar, out);
        }
        ImageSource src = ImageSource.open(new ByteArrayInputStream(gz.toByteArray()), ImageFormat.OCI_ARCHIVE, store);
        assertThat(src.resolve().config().labels()).containsEntry("marker", "amd");
    }
}
