package dev.burrow.daemon.space;

import java.util.List;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * What a prune freed, per {@link Category} and in total; {@code cacheEntriesForgotten} counts
 * what registered caches dropped; {@code deferred} says what was left for a later prune and why
 * (blobs while a build resolves its image).
 */
public record PruneReport(Map<Category, Freed> freed, long totalCount, long totalBytes, int cacheEntriesForgotten,
                          List<String> deferred) {

    /** Entries and allocated bytes freed in one category. */
    public record Freed(long count, long bytes) {
        public static final Freed NONE = new Freed(0, 0);

        Freed plus(long bytes) {
            return new Freed(count + 1, this.bytes + bytes);
        }
    }

    public PruneReport {
        freed = Collections.unmodifiableMap(new EnumMap<>(freed));
        deferred = List.copyOf(deferred);
    }
}
