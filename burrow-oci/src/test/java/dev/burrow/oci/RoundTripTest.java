package dev.burrow.oci;

import static dev.burrow.oci.TarEntrySpec.dir;
import static dev.burrow.oci.TarEntrySpec.file;
import static dev.burrow.oci.TarEntrySpec.hardlink;
import static dev.burrow.oci.TarEntrySpec.opaque;
import static dev.burrow.oci.TarEntrySpec.symlink;
import static dev.burrow.oci.TarEntrySpec.whiteout;
import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.oci.internal.Posix;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RoundTripTest {
    static final String LONG_DIR = "opt/" + "a-directory-name-that-is-long/".repeat(4);
    static final String LONG_NAME = LONG_DIR + "and-a-file-name-which-makes-the-whole-path-well-over-one-hundred-characters.txt";
    static final Instant CUSTOM_TIME = Instant.parse("2021-06-01T12:00:00Z");

    @TempDir
    Path tmp;

    enum Shape {
        LAYOUT_GZIP, LAYOUT_ZSTD, LAYOUT_PLAIN, OCI_ARCHIVE, OCI_ARCHIVE_STREAM, DOCKER_ARCHIVE
    }

    static OciLayoutWriter writer() {
        ImageConfig config = ImageConfig.builder()
                .entrypoint("/bin/sh", "-c")
                .cmd("exec server")
                .env("PATH", "/usr/bin:/bin")
                .env("MODE", "test")
                .workingDir("/srv")
                .user("1000:1000")
                .exposePort("8080")
                .label("org.opencontainers.image.title", "round-trip")
                .build();
        List<TarEntrySpec> base = List.of(
                dir("bin"),
                file("bin/su", "su-binary").withMode(04755),
                file("bin/busybox", "busybox").withMode(0755),
                hardlink("bin/su-again", "bin/su"),
                dir("etc"),
                file("etc/hostname", "base"),
                file("etc/gone", "deleted above"),
                dir("home"),
                dir("home/user").withOwner(1000, 1000).withMode(0700),
                file("home/user/notes", "mine").withOwner(1000, 1000).withMode(0600),
                dir("cache"),
                file("cache/old1", "old"),
                dir("cache/old2"),
                file("cache/old2/deep", "old"),
                dir("usr"),
                dir("usr/bin"),
                symlink("usr/bin/sh", "/bin/busybox"),
                file(LONG_NAME, "long"),
                file("tagged", "x").withXattr("user.burrow", "yes").withMtime(CUSTOM_TIME),
                dir("tmp").withMode(01777));
        List<TarEntrySpec> second = List.of(
                whiteout("etc/gone"),
                file("etc/hostname", "upper"),
                opaque("cache"),
                file("cache/new", "new"),
                dir("srv"),
                symlink("srv/relative", "../etc/hostname"));
        List<TarEntrySpec> third = List.of(
                file("srv/app", "app").withMode(0750).withOwner(0, 1000),
                whiteout("usr/bin/sh"));
        return new OciLayoutWriter(config).addLayer(base).addLayer(second).addLayer(third);
    }

    static Map<String, String> expectedTree() {
        Map<String, String> m = new TreeMap<>();
        m.put("bin", "d 0755 0:0");
        m.put("bin/su", "f 4755 0:0 su-binary");
        m.put("bin/su-again", "f 4755 0:0 su-binary");
        m.put("bin/busybox", "f 0755 0:0 busybox");
        m.put("etc", "d 0755 0:0");
        m.put("etc/hostname", "f 0644 0:0 upper");
        m.put("home", "d 0755 0:0");
        m.put("home/user", "d 0700 1000:1000");
        m.put("home/user/notes", "f 0600 1000:1000 mine");
        m.put("cache", "d 0755 0:0");
        m.put("cache/new", "f 0644 0:0 new");
        m.put("usr", "d 0755 0:0");
        m.put("usr/bin", "d 0755 0:0");
        String dirPath = "opt";
        m.put(dirPath, "d 0755 0:0");
        for (String part : LONG_DIR.substring("opt/".length()).split("/")) {
            dirPath = dirPath + "/" + part;
            m.put(dirPath, "d 0755 0:0");
        }
        m.put(LONG_NAME, "f 0644 0:0 long");
        m.put("tagged", "f 0644 0:0 x");
        m.put("tmp", "d 1777 0:0");
        m.put("srv", "d 0755 0:0");
        m.put("srv/relative", "l ../etc/hostname 0:0");
        m.put("srv/app", "f 0750 0:1000 app");
        return m;
    }

    @ParameterizedTest
    @EnumSource(Shape.class)
    void unpacksEveryFormatToTheSameTree(Shape shape) throws Exception {
        Path image = tmp.resolve("image");
        OciLayoutWriter w = writer();
        ImageFormat expectedFormat;
        switch (shape) {
            case LAYOUT_GZIP -> w.writeLayout(image);
            case LAYOUT_ZSTD -> w.compression(Compression.ZSTD).writeLayout(image);
            case LAYOUT_PLAIN -> w.compression(Compression.NONE).writeLayout(image);
            case OCI_ARCHIVE, OCI_ARCHIVE_STREAM -> {
                w.writeLayout(tmp.resolve("layout"));
                OciLayoutWriter.toArchive(tmp.resolve("layout"), image);
            }
            case DOCKER_ARCHIVE -> w.writeDockerArchive(image, "round-trip:latest");
        }
        expectedFormat = switch (shape) {
            case LAYOUT_GZIP, LAYOUT_ZSTD, LAYOUT_PLAIN -> ImageFormat.OCI_LAYOUT;
            case OCI_ARCHIVE, OCI_ARCHIVE_STREAM -> ImageFormat.OCI_ARCHIVE;
            case DOCKER_ARCHIVE -> ImageFormat.DOCKER_ARCHIVE;
        };
        BlobStore store = new BlobStore(tmp.resolve("store"));
        ImageSource src;
        if (shape == Shape.OCI_ARCHIVE_STREAM) {
            try (InputStream in = Files.newInputStream(image)) {
                src = ImageSource.open(in, null, store);
            }
        } else {
            src = ImageSource.open(image, store);
        }
        assertThat(src.format()).isEqualTo(expectedFormat);

        Path staging = tmp.resolve("staging");
        List<String> warnings = new ArrayList<>();
        ImageUnpacker.Result result = new ImageUnpacker().unpack(src, staging, warnings::add);

        assertThat(warnings).isEmpty();
        assertThat(Trees.describe(staging)).isEqualTo(expectedTree());
        assertThat(Files.getAttribute(staging, "unix:mode")).isEqualTo(040700);
        assertThat(Files.getAttribute(staging.resolve("bin/su"), "unix:ino"))
                .isEqualTo(Files.getAttribute(staging.resolve("bin/su-again"), "unix:ino"));
        assertThat(new String(Posix.lgetxattr(staging.resolve("tagged"), "user.burrow"), StandardCharsets.UTF_8))
                .isEqualTo("yes");
        assertThat(Files.getLastModifiedTime(staging.resolve("tagged"), LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(FileTime.from(CUSTOM_TIME));
        assertThat(Files.getLastModifiedTime(staging.resolve("etc/hostname"), LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(FileTime.from(OciLayoutWriter.FIXED_MTIME));
        assertThat(Files.getLastModifiedTime(staging.resolve("cache"), LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(FileTime.from(OciLayoutWriter.FIXED_MTIME));

        ImageConfig c = result.config();
        assertThat(c.entrypoint()).containsExactly("/bin/sh", "-c");
        assertThat(c.cmd()).containsExactly("exec server");
        assertThat(c.env()).containsExactly("PATH=/usr/bin:/bin", "MODE=test");
        assertThat(c.workingDir()).isEqualTo("/srv");
        assertThat(c.user()).isEqualTo("1000:1000");
        assertThat(c.exposedPorts()).containsExactly("8080/tcp");
        assertThat(c.labels()).containsEntry("org.opencontainers.image.title", "round-trip");
        assertThat(result.image().platform()).isEqualTo(Platform.LINUX_AMD64);
        assertThat(result.image().layers()).hasSize(3);
        assertThat(result.layers()).extracting(LayerUnpacker.LayerStats::compression).containsOnly(switch (shape) {
            case LAYOUT_ZSTD -> Compression.ZSTD;
            case LAYOUT_PLAIN, DOCKER_ARCHIVE -> Compression.NONE;
            default -> Compression.GZIP;
        });
    }

    @ParameterizedTest
    @EnumSource(value = Shape.class, names = {"OCI_ARCHIVE", "DOCKER_ARCHIVE"})
    void archivesAreImportedIntoTheStoreOnce(Shape shape) throws Exception {
        BlobStore store = new BlobStore(tmp.resolve("store"));
        Path a = tmp.resolve("a.tar");
        Path b = tmp.resolve("b.tar");
        if (shape == Shape.OCI_ARCHIVE) {
            writer().writeLayout(tmp.resolve("layout"));
            OciLayoutWriter.toArchive(tmp.resolve("layout"), a);
            Files.copy(a, b);
        } else {
            writer().writeDockerArchive(a, "x:1");
            writer().writeDockerArchive(b, "x:2");
        }
        ResolvedImage first = ImageSource.open(a, store).resolve();
        long blobs;
        try (var s = Files.list(store.root().resolve("sha256"))) {
            blobs = s.count();
        }
        ResolvedImage second = ImageSource.open(b, store).resolve();
        try (var s = Files.list(store.root().resolve("sha256"))) {
            assertThat(s.count()).isEqualTo(blobs);
        }
        assertThat(second.layers()).isEqualTo(first.layers());
        for (Layer l : first.layers()) {
            assertThat(store.contains(l.digest())).isTrue();
        }
    }

    @org.junit.jupiter.api.Test
    void writerIsDeterministic() throws Exception {
        Descriptor one = writer().writeLayout(tmp.resolve("one"));
        Descriptor two = writer().writeLayout(tmp.resolve("two"));
        assertThat(one).isEqualTo(two);
        OciLayoutWriter.toArchive(tmp.resolve("one"), tmp.resolve("one.tar"));
        OciLayoutWriter.toArchive(tmp.resolve("two"), tmp.resolve("two.tar"));
        assertThat(Files.readAllBytes(tmp.resolve("one.tar"))).isEqualTo(Files.readAllBytes(tmp.resolve("two.tar")));
    }

    @org.junit.jupiter.api.Test
    void directoryTreeRoundTrip() throws Exception {
        Path staging = tmp.resolve("first");
        Fixtures.unpack(writeFixture(), tmp.resolve("w1"), staging);
        Path again = tmp.resolve("again");
        new OciLayoutWriter(ImageConfig.EMPTY).addLayer(staging).writeLayout(again);
        Path staging2 = tmp.resolve("second");
        Fixtures.unpack(again, tmp.resolve("w2"), staging2);
        assertThat(Trees.describe(staging2)).isEqualTo(expectedTree());
        assertThat(Files.getAttribute(staging2.resolve("bin/su"), "unix:ino"))
                .isEqualTo(Files.getAttribute(staging2.resolve("bin/su-again"), "unix:ino"));
        assertThat(new String(Posix.lgetxattr(staging2.resolve("tagged"), "user.burrow"), StandardCharsets.UTF_8))
                .isEqualTo("yes");
    }

    private Path writeFixture() throws Exception {
        Path image = tmp.resolve("fixture");
        writer().writeLayout(image);
        return image;
    }
}
