package dev.burrow.daemon.space;

import java.time.Duration;

/**
 * The collector's limits, defaults in {@link #DEFAULTS}.
 *
 * @param tmpAge          a {@code tmp/} entry (or a blob store's unfinished put) untouched this long is garbage
 * @param partialAge      a registry's partial blob ({@code blobs/partial/…}) untouched this long is garbage: a pull
 *                        resumes from it within a day
 * @param orphanUploadAge an upload file without a row this old is an abandoned upload (a live one keeps writing)
 * @param maxManifestBytes a manifest or index read to find the blobs a version needs is refused above this
 * @param maxManifests    manifests and indexes read for one version's image (an index nests them)
 */
public record SpaceSettings(Duration tmpAge, Duration partialAge, Duration orphanUploadAge, long maxManifestBytes,
                            int maxManifests) {

    public static final SpaceSettings DEFAULTS = new SpaceSettings(Duration.ofHours(1), Duration.ofDays(1),
            Duration.ofMinutes(10), 4L * 1024 * 1024, 4096);
}
