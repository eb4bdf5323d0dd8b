package dev.burrow.oci.registry.testing;

import dev.burrow.oci.Descriptor;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.oci.Platform;
import dev.burrow.oci.TarEntrySpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Small OCI layouts to push: one file per layer, for one platform or several. */
public final class TestImages {
    private TestImages() {
    }

    /** A linux/amd64 image with one layer holding {@code files} (path → content). */
    public static Path layout(Path dir, Map<String, String> files) throws IOException {
        return layout(dir, Platform.LINUX_AMD64, files);
    }

    /** A single-platform image with one layer holding {@code files}. */
    public static Path layout(Path dir, Platform platform, Map<String, String> files) throws IOException {
        writer(platform, files).writeLayout(dir);
        return dir;
    }

    /**
     * A layout whose {@code index.json} lists one image per platform (each with a file
     * {@code platform} naming it), pushed by {@link RegistryPusher} as a multi-platform index.
     */
    public static Path multiPlatform(Path dir, Platform... platforms) throws IOException {
        List<Descriptor> manifests = new ArrayList<>();
        for (Platform p : platforms) {
            manifests.add(writer(p, Map.of("platform", p.toString())).writeBlobs(dir));
        }
        OciLayoutWriter.writeIndex(dir, manifests);
        return dir;
    }

    private static OciLayoutWriter writer(Platform platform, Map<String, String> files) {
        List<TarEntrySpec> entries = new ArrayList<>();
        files.forEach((name, content) -> entries.add(TarEntrySpec.file(name, content)));
        return new OciLayoutWriter(ImageConfig.EMPTY).platform(platform).addLayer(entries);
    }
}
