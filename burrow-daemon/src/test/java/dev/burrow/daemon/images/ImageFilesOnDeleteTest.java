package dev.burrow.daemon.images;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.internal.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What deleting a version or an image leaves on disk: nothing, unless another version runs from
 * its template (an unchanged rebuild reuses it). No engine: the versions are rows and files only.
 */
class ImageFilesOnDeleteTest {

    private Path dataDir;
    private final InMemoryImageStore store = new InMemoryImageStore();
    private ImageService images;

    @BeforeEach
    void setUp() throws IOException {
        dataDir = Files.createTempDirectory("image-delete-");
        images = new ImageService(store, null, dataDir, 1);
    }

    @AfterEach
    void tearDown() {
        images.close();
        FileTrees.deleteQuietly(dataDir);
    }

    @Test
    void aVersionWhoseTemplateAnotherVersionRunsFromKeepsItsDirectoryUntilThatOneIsGone() throws Exception {
        Path v1 = version("app", 1, null);
        Path v2 = version("app", 2, v1.resolve("template"));

        images.deleteVersion("app", 1);
        assertThat(v1.resolve("template")).isDirectory();
        assertThat(v1.resolve("rootfs.ext4")).exists();

        images.deleteVersion("app", 2);
        assertThat(v2).doesNotExist();
        assertThat(v1).as("the template's last user takes the directory that made it along").doesNotExist();
    }

    @Test
    void deletingAnImageRemovesEveryVersionDirectoryNoOtherImageRunsFrom() throws Exception {
        Path a1 = version("a", 1, null);
        Path a2 = version("a", 2, null);
        Path b1 = version("b", 1, null);
        version("c", 1, b1.resolve("template"));

        images.delete("a");
        images.delete("b");

        assertThat(a1).doesNotExist();
        assertThat(a2).doesNotExist();
        assertThat(dataDir.resolve("images/a")).doesNotExist();
        assertThat(b1.resolve("template")).as("c:1 runs from it").isDirectory();
    }

    /** A FAILED version row (nothing warm to drop) with a disk and a template; {@code templateDir} null = its own. */
    private Path version(String image, int number, Path templateDir) throws IOException {
        Path dir = Files.createDirectories(dataDir.resolve("images").resolve(image).resolve(Integer.toString(number)));
        Files.write(dir.resolve("rootfs.ext4"), new byte[16]);
        Files.createDirectories(dir.resolve("template"));
        Files.writeString(dir.resolve("build.log"), "log\n");
        Instant now = Instant.now();
        ImageVersion v = new ImageVersion(image, number, VersionState.FAILED, "test", true, BuildSettings.NONE.withDefaults(), "path:x",
                now, now, EntrypointStatus.NONE, Map.of(), templateDir == null ? dir.resolve("template") : templateDir,
                dir.resolve("build.log"));
        if (number == 1) {
            store.createImage(v);
        } else {
            store.addVersion(v);
        }
        return dir;
    }
}
