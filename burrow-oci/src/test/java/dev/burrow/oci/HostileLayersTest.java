package dev.burrow.oci;

import static dev.burrow.oci.TarEntrySpec.blockDevice;
import static dev.burrow.oci.TarEntrySpec.charDevice;
import static dev.burrow.oci.TarEntrySpec.dir;
import static dev.burrow.oci.TarEntrySpec.fifo;
import static dev.burrow.oci.TarEntrySpec.file;
import static dev.burrow.oci.TarEntrySpec.hardlink;
import static dev.burrow.oci.TarEntrySpec.symlink;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers that try to write outside the staging root. The staging root sits three directories
 * deep in the temp dir beside a canary directory, so a relative escape of up to three levels
 * would land inside the temp dir, where {@link #nothingWrittenOutsideStaging()} would see it.
 */
class HostileLayersTest {
    @TempDir
    Path tmp;
    Path base;
    Path staging;
    Path canary;
    Path image;
    Path store;
    Map<String, String> before;
    List<String> warnings = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        base = Files.createDirectories(tmp.resolve("x/y/z"));
        staging = base.resolve("staging");
        canary = Files.createDirectories(base.resolve("canary"));
        Files.writeString(canary.resolve("keep"), "untouched");
        image = tmp.resolve("image");
        store = tmp.resolve("store");
        before = outsideStaging();
    }

    @AfterEach
    void nothingWrittenOutsideStaging() throws IOException {
        assertThat(outsideStaging()).isEqualTo(before);
        assertThat(Trees.describe(canary)).isEqualTo(Map.of("keep", "f 0644 0:0 untouched"));
    }

    /** Everything in the temp dir except the staging tree, the image and the blob store. */
    private Map<String, String> outsideStaging() throws IOException {
        Map<String, String> all = new java.util.TreeMap<>(Trees.describe(tmp));
        all.keySet().removeIf(p -> p.startsWith("x/y/z/staging") || p.startsWith("image") || p.startsWith("store")
                || p.startsWith("layout"));
        return all;
    }

    @SafeVarargs
    private ImageUnpacker.Result unpack(List<TarEntrySpec>... layers) throws IOException {
        Fixtures.layout(image, layers);
        return Fixtures.unpack(image, new BlobStore(store), staging, warnings);
    }

    private String layer0() throws IOException {
        return ImageSource.open(image, new BlobStore(store)).resolve().layers().getFirst().digest().toString();
    }

    @Test
    void dotDotEntryFails() throws IOException {
        assertThatThrownBy(() -> unpack(List.of(file("../evil", "x"))))
                .isInstanceOf(ImageException.class)
                .hasMessage("layer " + layer0() + " entry '../evil' escapes the image root");
        assertThat(base.resolve("evil")).doesNotExist();
    }

    @Test
    void dotDotInTheMiddleFails() throws IOException {
        assertThatThrownBy(() -> unpack(List.of(dir("a"), file("a/../../evil", "x"))))
                .hasMessage("layer " + layer0() + " entry 'a/../../evil' escapes the image root");
        assertThat(base.resolve("evil")).doesNotExist();
    }

    @Test
    void dotDotThatStaysInsideStillFails() throws IOException {
        assertThatThrownBy(() -> unpack(List.of(dir("a"), file("a/../b", "x"))))
                .hasMessage("layer " + layer0() + " entry 'a/../b' has a '..' component");
    }

    @Test
    void absoluteEntryLandsInsideTheRoot() throws IOException {
        String name = "burrow-hostile-" + UUID.randomUUID();
        unpack(List.of(file("/etc/" + name, "inside")));
        assertThat(staging.resolve("etc/" + name)).hasContent("inside");
        assertThat(Path.of("/etc", name)).doesNotExist();
    }

    @Test
    void absoluteSymlinkToSlashIsTheImageRoot() throws IOException {
        unpack(List.of(symlink("lib", "/"), file("lib/x", "via lib")));
        assertThat(staging.resolve("x")).hasContent("via lib");
        assertThat(Files.readSymbolicLink(staging.resolve("lib")).toString()).isEqualTo("/");
    }

    @Test
    void relativeEscapeStopsAtTheRootInTheSameLayer() throws IOException {
        unpack(List.of(symlink("escape", "../../.."), file("escape/pwned", "same layer")));
        assertThat(staging.resolve("pwned")).hasContent("same layer");
        assertThat(Files.readSymbolicLink(staging.resolve("escape")).toString()).isEqualTo("../../..");
    }

    @Test
    void relativeEscapeStopsAtTheRootInALaterLayer() throws IOException {
        unpack(List.of(dir("d"), symlink("d/escape", "../../../..")),
                List.of(file("d/escape/pwned", "later layer"), dir("d/escape/made"), file("d/escape/made/f", "f")));
        assertThat(staging.resolve("pwned")).hasContent("later layer");
        assertThat(staging.resolve("made/f")).hasContent("f");
    }

    @Test
    void symlinkToTheCanarysHostPathStaysInside() throws IOException {
        String host = canary.toString();
        unpack(List.of(symlink("c", host)), List.of(file("c/pwned", "inside"), file("c/keep", "overwritten inside")));
        Path inside = staging.resolve(host.substring(1));
        assertThat(inside.resolve("pwned")).hasContent("inside");
        assertThat(inside.resolve("keep")).hasContent("overwritten inside");
        assertThat(canary.resolve("pwned")).doesNotExist();
    }

    @Test
    void aFileReplacesASymlinkInsteadOfWritingThroughIt() throws IOException {
        unpack(List.of(symlink("f", canary.resolve("keep").toString())), List.of(file("f", "replaced")));
        assertThat(Files.isSymbolicLink(staging.resolve("f"))).isFalse();
        assertThat(staging.resolve("f")).hasContent("replaced");
    }

    @Test
    void symlinkLoopFails() throws IOException {
        assertThatThrownBy(() -> unpack(List.of(symlink("a", "b"), symlink("b", "a"), file("a/x", "x"))))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("'a/x': too many levels of symbolic links (more than 40; a symlink loop?)");
    }

    @Test
    void selfLoopThroughAbsolutePathFails() throws IOException {
        assertThatThrownBy(() -> unpack(List.of(symlink("loop", "/loop/x"), file("loop/y", "y"))))
                .hasMessageContaining("too many levels of symbolic links");
    }

    @Test
    void hardLinkOutsideByNameFails() throws IOException {
        assertThatThrownBy(() -> unpack(List.of(hardlink("link", "../outside"))))
                .isInstanceOf(ImageException.class)
                .hasMessage("layer " + layer0() + ": hard link 'link' -> '../outside': the target is outside the image root");
    }

    @Test
    void hardLinkThroughASymlinkPointingOutsideFails() throws IOException {
        assertThatThrownBy(() -> unpack(List.of(symlink("out", "../../.."), hardlink("link", "out/canary/keep"))))
                .hasMessage("layer " + layer0()
                        + ": hard link 'link' -> 'out/canary/keep': 'out/canary/keep' resolves outside the image root");
    }

    @Test
    void hardLinkThroughAnAbsoluteHostPathFindsNothingInside() throws IOException {
        assertThatThrownBy(() -> unpack(List.of(symlink("c", canary.toString()), hardlink("link", "c/keep"))))
                .hasMessage("layer " + layer0() + ": hard link 'link' -> 'c/keep': the target does not exist in the image");
    }

    @Test
    void hardLinkToASymlinkLinksTheSymlinkItself() throws IOException {
        unpack(List.of(symlink("s", canary.resolve("keep").toString()), hardlink("h", "s")));
        assertThat(Files.isSymbolicLink(staging.resolve("h"))).isTrue();
        assertThat(Files.readSymbolicLink(staging.resolve("h"))).isEqualTo(canary.resolve("keep"));
    }

    @Test
    void hardLinkToADirectoryIsSkippedWithAWarning() throws IOException {
        unpack(List.of(dir("d"), hardlink("h", "d")));
        assertThat(staging.resolve("h")).doesNotExist();
        assertThat(warnings).containsExactly("skipped hard link /h (layer " + layer0() + ") -> 'd': it points to a directory");
    }

    @Test
    void hardLinkThroughAnInsideSymlinkWorks() throws IOException {
        unpack(List.of(dir("usr"), dir("usr/lib"), file("usr/lib/real", "r"), symlink("lib", "usr/lib"),
                hardlink("copy", "lib/real")));
        assertThat(staging.resolve("copy")).hasContent("r");
        assertThat(Files.getAttribute(staging.resolve("copy"), "unix:ino"))
                .isEqualTo(Files.getAttribute(staging.resolve("usr/lib/real"), "unix:ino"));
    }

    @Test
    void devicesAndFifosAreSkippedWithWarnings() throws IOException {
        unpack(List.of(dir("dev"), charDevice("dev/null", 1, 3), blockDevice("dev/sda", 8, 0), fifo("run-fifo")));
        String l = layer0();
        assertThat(warnings).containsExactly(
                "skipped character device /dev/null in layer " + l + " (device nodes are not created; the guest's devtmpfs provides /dev)",
                "skipped block device /dev/sda in layer " + l + " (device nodes are not created; the guest's devtmpfs provides /dev)",
                "skipped FIFO /run-fifo in layer " + l + " (device nodes are not created; the guest's devtmpfs provides /dev)");
        assertThat(Trees.describe(staging)).containsOnlyKeys("dev");
    }

    @Test
    void writingBelowARegularFileFails() throws IOException {
        assertThatThrownBy(() -> unpack(List.of(file("f", "x"), file("f/g", "y"))))
                .hasMessage("'f/g': /f is not a directory");
    }

    @Test
    void invalidWhiteoutFails() throws IOException {
        assertThatThrownBy(() -> unpack(List.of(file(".wh...", ""))))
                .hasMessageContaining("entry '.wh...' is not a valid whiteout");
    }

    @Test
    void whiteoutThroughASymlinkOutsideDeletesInsideOnly() throws IOException {
        unpack(List.of(symlink("c", canary.toString())), List.of(file("c/.wh.keep", "")));
        assertThat(canary.resolve("keep")).exists();
    }

    @Test
    void opaqueThroughASymlinkOutsideClearsInsideOnly() throws IOException {
        unpack(List.of(symlink("up", "../../../../x/y/z/canary")), List.of(file("up/.wh..wh..opq", "")));
        assertThat(canary.resolve("keep")).exists();
        assertThat(staging.resolve("x/y/z/canary")).isDirectory();
    }

    @Test
    void truncatedGzipLayerFails() throws IOException {
        byte[] good = Fixtures.gzipTar(List.of(file("big", "0123456789".repeat(10_000))));
        byte[] truncated = java.util.Arrays.copyOf(good, good.length / 2);
        new OciLayoutWriter(ImageConfig.EMPTY).addRawLayer(truncated, MediaTypes.OCI_LAYER_GZIP, null).writeLayout(image);
        assertThatThrownBy(() -> Fixtures.unpack(image, new BlobStore(store), staging, warnings))
                .isInstanceOf(ImageException.class)
                .hasMessageStartingWith("layer " + layer0() + " is corrupt or truncated: ");
    }

    @Test
    void corruptGzipLayerFails() throws IOException {
        byte[] bytes = Fixtures.gzipTar(List.of(file("a", "some content that compresses".repeat(200)), file("b", "b")));
        for (int i = 20; i < bytes.length - 20; i += 7) {
            bytes[i] ^= (byte) 0x5a;
        }
        new OciLayoutWriter(ImageConfig.EMPTY).addRawLayer(bytes, MediaTypes.OCI_LAYER_GZIP, null).writeLayout(image);
        assertThatThrownBy(() -> Fixtures.unpack(image, new BlobStore(store), staging, warnings))
                .isInstanceOf(ImageException.class)
                .hasMessageStartingWith("layer " + layer0() + " is corrupt or truncated: ");
    }

    @Test
    void corruptTarInsideValidGzipFails() throws IOException {
        byte[] tar = new byte[2048];
        java.util.Arrays.fill(tar, (byte) 'A');
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (var out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write(tar);
        }
        new OciLayoutWriter(ImageConfig.EMPTY).addRawLayer(gz.toByteArray(), MediaTypes.OCI_LAYER_GZIP, null)
                .writeLayout(image);
        assertThatThrownBy(() -> Fixtures.unpack(image, new BlobStore(store), staging, warnings))
                .hasMessageStartingWith("layer " + layer0() + " is corrupt or truncated: ");
    }

    @Test
    void layerBytesThatDoNotMatchTheirDigestFail() throws IOException {
        new OciLayoutWriter(ImageConfig.EMPTY).compression(Compression.NONE)
                .addLayer(List.of(file("a", "original"))).writeLayout(image);
        String digest = layer0();
        Path blob = image.resolve("blobs/sha256/" + digest.substring("sha256:".length()));
        java.io.ByteArrayOutputStream other = new java.io.ByteArrayOutputStream();
        dev.burrow.oci.internal.TarWriting.write(List.of(file("a", "evil!!!!")), other, OciLayoutWriter.FIXED_MTIME);
        assertThat((long) other.size()).isEqualTo(Files.size(blob));
        Files.write(blob, other.toByteArray());
        assertThatThrownBy(() -> Fixtures.unpack(image, new BlobStore(store), staging, warnings))
                .isInstanceOf(ImageException.class)
                .hasMessageStartingWith("layer " + digest + " does not match its digest (got sha256:");
    }

    @Test
    void layerOfTheWrongSizeFailsBeforeUnpacking() throws IOException {
        Fixtures.layout(image, List.of(file("a", "original")));
        String digest = layer0();
        Path blob = image.resolve("blobs/sha256/" + digest.substring("sha256:".length()));
        Files.write(blob, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> Fixtures.unpack(image, new BlobStore(store), staging, warnings))
                .hasMessageMatching("layer " + digest + " is 3 bytes but the manifest says \\d+");
        assertThat(staging).doesNotExist();
    }

    @Test
    void tamperedBlobInAnArchiveFailsOnImport() throws IOException {
        Path layout = tmp.resolve("layout");
        Fixtures.layout(layout, List.of(file("a", "original")));
        String digest = ImageSource.open(layout, new BlobStore(store)).resolve().layers().getFirst().digest().toString();
        Path blob = layout.resolve("blobs/sha256/" + digest.substring("sha256:".length()));
        Files.write(blob, Fixtures.gzipTar(List.of(file("a", "evil!!!!"))));
        OciLayoutWriter.toArchive(layout, image);
        assertThatThrownBy(() -> ImageSource.open(image, new BlobStore(store)))
                .isInstanceOf(ImageException.class)
                .hasMessageStartingWith("blob blobs/sha256/" + digest.substring(7) + " in the archive: content does not match its digest "
                        + digest + " (got sha256:");
    }

    @Test
    void staleUncompressedContentIsCaughtByTheDiffId() throws IOException {
        byte[] bytes = Fixtures.gzipTar(List.of(file("a", "a")));
        Digest wrongDiffId = dev.burrow.oci.internal.Sha256.of("something else".getBytes(StandardCharsets.UTF_8));
        new OciLayoutWriter(ImageConfig.EMPTY).addRawLayer(bytes, MediaTypes.OCI_LAYER_GZIP, wrongDiffId).writeLayout(image);
        assertThatThrownBy(() -> Fixtures.unpack(image, new BlobStore(store), staging, warnings))
                .hasMessageContaining("does not match the config's rootfs.diff_ids entry " + wrongDiffId);
    }

    @Test
    void gzipMediaTypeWithPlainTarIsDetectedByMagic() throws IOException {
        java.io.ByteArrayOutputStream plain = new java.io.ByteArrayOutputStream();
        dev.burrow.oci.internal.TarWriting.write(List.of(file("p", "plain")), plain, OciLayoutWriter.FIXED_MTIME);
        new OciLayoutWriter(ImageConfig.EMPTY).addRawLayer(plain.toByteArray(), MediaTypes.OCI_LAYER_GZIP, null)
                .writeLayout(image);
        ImageUnpacker.Result r = Fixtures.unpack(image, new BlobStore(store), staging, warnings);
        assertThat(staging.resolve("p")).hasContent("plain");
        assertThat(r.layers().getFirst().compression()).isEqualTo(Compression.NONE);
    }

    @Test
    void symlinkTargetTextIsKeptExactly() throws IOException {
        unpack(List.of(symlink("trailing", "some/dir/"), symlink("dots", "./a//b/../c")));
        assertThat(Files.readSymbolicLink(staging.resolve("trailing")).toString()).isEqualTo("some/dir/");
        assertThat(Files.readSymbolicLink(staging.resolve("dots")).toString()).isEqualTo("./a//b/../c");
    }
}
