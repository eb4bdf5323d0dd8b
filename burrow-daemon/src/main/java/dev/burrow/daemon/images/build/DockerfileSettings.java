package dev.burrow.daemon.images.build;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits of a Dockerfile build, each with its default here.
 *
 * @param runTimeout how long one {@code RUN} may take before the build fails
 * @param layerTimeout how long capturing or applying one layer in the builder may take
 * @param failureTailLines how many of a failing RUN's last output lines its reason quotes
 * @param maxLineChars longest output line logged (longer ones are cut)
 * @param maxLoggedChars output of one RUN written to the build log at most; later lines are counted, not written
 */
public record DockerfileSettings(Duration runTimeout, Duration layerTimeout, int failureTailLines, int maxLineChars,
                                 long maxLoggedChars) {

    public static final Duration DEFAULT_RUN_TIMEOUT = Duration.ofMinutes(30);
    public static final Duration DEFAULT_LAYER_TIMEOUT = Duration.ofMinutes(10);
    public static final int DEFAULT_FAILURE_TAIL_LINES = 40;
    public static final int DEFAULT_MAX_LINE_CHARS = 4096;
    public static final long DEFAULT_MAX_LOGGED_CHARS = 4L << 20;
    public static final DockerfileSettings DEFAULT = new DockerfileSettings(DEFAULT_RUN_TIMEOUT, DEFAULT_LAYER_TIMEOUT,
            DEFAULT_FAILURE_TAIL_LINES, DEFAULT_MAX_LINE_CHARS, DEFAULT_MAX_LOGGED_CHARS);

    public DockerfileSettings {
        Objects.requireNonNull(runTimeout, "runTimeout");
        Objects.requireNonNull(layerTimeout, "layerTimeout");
        if (runTimeout.isNegative() || runTimeout.isZero() || layerTimeout.isNegative() || layerTimeout.isZero()) {
            throw new IllegalArgumentException("build timeouts must be positive");
        }
        if (failureTailLines < 1 || maxLineChars < 80 || maxLoggedChars < maxLineChars) {
            throw new IllegalArgumentException("failureTailLines must be >= 1, maxLineChars >= 80 and maxLoggedChars >= maxLineChars");
        }
    }

    public DockerfileSettings withRunTimeout(Duration d) {
        return new DockerfileSettings(d, layerTimeout, failureTailLines, maxLineChars, maxLoggedChars);
    }
}
