package dev.burrow.daemon.space;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * {@code df}: every {@link Category} (in declaration order), the data directory's allocated bytes
 * in total (the sum of the categories) and what a prune would free now.
 */
public record SpaceReport(Map<Category, Usage> categories, long totalBytes, long reclaimableBytes) {

    public SpaceReport {
        categories = Collections.unmodifiableMap(new EnumMap<>(categories));
    }
}
