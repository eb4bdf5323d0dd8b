package dev.burrow.oci;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an image source into a root file system tree: resolve (linux/amd64, verified metadata),
 * then apply every layer in order with {@link LayerUnpacker}. The caller then builds the disk
 * with {@link Ext4Image}. Unpacking stops as soon as the tree would not fit the disk of the
 * {@link UnpackLimits}; on any failure the staging directory is removed.
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

    private static final long MIB = 1024 * 1024;

    /** Unpacks for a disk of {@link UnpackLimits#DEFAULT_DISK_MIB}. */
    public Result unpack(ImageSource source, Path stagingRoot, BuildLog log) throws IOException {
        return unpack(source, stagingRoot, log, UnpackLimits.DEFAULT);
    }

    /**
     * Resolves and unpacks into {@code stagingRoot} (created, mode 0700). Refuses at once when the
     * staging file system has less free space than the disk; removes the staging directory when
     * anything fails.
     */
    public Result unpack(ImageSource source, Path stagingRoot, BuildLog log, UnpackLimits limits) throws IOException {
        try {
            return unpackInto(source, stagingRoot, log, limits);
        } catch (IOException | RuntimeException | Error e) {
            try {
                LayerUnpacker.discard(stagingRoot);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private Result unpackInto(ImageSource source, Path stagingRoot, BuildLog log, UnpackLimits limits) throws IOException {
        WarningCollector warnings = new WarningCollector(log == null ? BuildLog.NONE : log);
        long t0 = System.nanoTime();
        ResolvedImage image = source.resolve();
        long t1 = System.nanoTime();
        warnings.info("resolved " + source.format() + " image " + image.manifestDigest() + " (" + image.platform()
                + ", " + image.layers().size() + " layers)");
        LayerUnpacker unpacker = new LayerUnpacker(stagingRoot, warnings, limits);
        checkFreeSpace(unpacker.root(), limits);
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
        warnings.info("the tree needs about " + unpacker.diskBytes() / MIB + " MiB of the " + limits.diskMiB() + " MiB disk");
        long t2 = System.nanoTime();
        return new Result(image, warnings.kept, warnings.suppressed, stats, Duration.ofNanos(t1 - t0),
                Duration.ofNanos(t2 - t1));
    }

    private static void checkFreeSpace(Path staging, UnpackLimits limits) throws IOException {
        long free = Files.getFileStore(staging).getUsableSpace();
        if (free < limits.diskMiB() * MIB) {
            throw new ImageException("the build's file system has " + free / MIB + " MiB free, less than the "
                    + limits.diskMiB() + " MiB disk (resources.diskMiB) the image may fill; free space on the host or lower resources.diskMiB");
        }
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
