package dev.burrow.daemon.images.builtin;

import dev.burrow.oci.ImageConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The public demo image: Debian minbase plus python3 serving {@code python3 -m http.server 8080},
 * a {@link DebianImage.Recipe} cached as {@code debian-python-<suite>-r<recipe>-<mirror hash>}.
 */
final class DebianPythonImage {
    /** Bump when the recipe changes what the image holds: cached layouts of older recipes are not reused. */
    static final int RECIPE_VERSION = 1;
    /** What the trim removes: contents only, the directories stay. */
    static final List<String> TRIMMED = DebianImage.TRIMMED;

    static final DebianImage.Recipe RECIPE = new DebianImage.Recipe("debian-python", RECIPE_VERSION, List.of("python3"),
            config(), "burrow debian-python demo");

    private DebianPythonImage() {
    }

    static ImageConfig config() {
        return ImageConfig.builder()
                .cmd("python3", "-m", "http.server", "8080", "--bind", "127.0.0.1")
                .workingDir("/root")
                .env("PATH", BuiltinImages.PATH)
                .env("LANG", "C.UTF-8")
                .exposePort("8080")
                .label("dev.burrow.demo", "true")
                .build();
    }

    static String cacheName(DebianSource src) {
        return DebianImage.cacheName(RECIPE, src);
    }

    static Path build(Path cacheDir, Path workDir, DebianSource src) throws IOException {
        return DebianImage.build(cacheDir, workDir, src, RECIPE);
    }
}
