package dev.burrow.oci;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an image source into a root file system tree: resolve (linux/amd64, verified metadata),
 * then apply every layer in order with {@link LayerUnpacker}. The caller then builds the disk
 * with {@link Ext4Image}. On failure the staging directory holds a partial tree: discard it.
 */
public final class ImageUnpacker {
    /** At most this many warnings are kept and logged; the rest are counted. */
    public static final int MAX_WARNINGS = 200;

    /** What an unpack produced. */
    public record Result(ResolvedImage image, List<String> warnings, int suppressedWarnings,
            List<LayerUnpacker.LayerStats> layers, Duration resolveTime, Duration unpackTime) {
        public Result {
            warnings = List.copyOf(warnings);
            layers = List.copyOf(layers);
        }

        public ImageConfig config() {
            return image.config();
        }

        public long bytesWritten() {
            return layers.stream().mapToLong(LayerUnpacker.LayerStats::bytesWritten).sum();
        }
    }

    public Result unpack(ImageSource source, Path stagingRoot, BuildLog log) throws IOException {
        WarningCollector warnings = new WarningCollector(log == null ? BuildLog.NONE : log);
        long t0 = System.nanoTime();
        ResolvedImage image = source.resolve();
        long t1 = System.nanoTime();
        warnings.info("resolved " + source.format() + " image " + image.manifestDigest() + " (" + image.platform()
                + ", " + image.layers().size() + " layers)");
        LayerUnpacker unpacker = new LayerUnpacker(stagingRoot, warnings);
        List<LayerUnpacker.LayerStats> stats = new ArrayList<>();
        for (Layer layer : image.layers()) {
            try (InputStream in = source.openLayer(layer)) {
                LayerUnpacker.LayerStats s = unpacker.apply(layer, in);
                stats.add(s);
                warnings.info("applied layer " + layer.digest() + ": " + s.entries() + " entries, " + s.bytesWritten()
                        + " bytes, " + s.took().toMillis() + " ms");
            }
        }
        unpacker.finish();
        long t2 = System.nanoTime();
        return new Result(image, warnings.kept, warnings.suppressed, stats, Duration.ofNanos(t1 - t0),
                Duration.ofNanos(t2 - t1));
    }

    private static final class WarningCollector implements BuildLog {
        private final BuildLog delegate;
        private final List<String> kept = new ArrayList<>();
        private int suppressed;

        WarningCollector(BuildLog delegate) {
            this.delegate = delegate;
        }

        @Override
        public void warn(String message) {
            if (kept.size() < MAX_WARNINGS) {
                kept.add(message);
                delegate.warn(message);
            } else {
                suppressed++;
            }
        }

        @Override
        public void info(String message) {
            delegate.info(message);
        }
    }
}
