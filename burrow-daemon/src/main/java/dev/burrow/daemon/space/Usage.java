package dev.burrow.daemon.space;

/** One category of {@code df}: how many entries and allocated bytes, and how much of it a prune would free. */
public record Usage(long count, long bytes, long reclaimableCount, long reclaimableBytes) {

    public static final Usage NONE = new Usage(0, 0, 0, 0);

    Usage plus(long bytes, boolean reclaimable) {
        return new Usage(count + 1, this.bytes + bytes, reclaimableCount + (reclaimable ? 1 : 0),
                reclaimableBytes + (reclaimable ? bytes : 0));
    }
}
