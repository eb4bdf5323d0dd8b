package dev.burrow.vmm.agent.internal;

import java.util.LinkedHashMap;

/**
 * Streams the host closed lately, oldest forgotten first, each with an allowance of late frames:
 * what a guest may still have had in flight when it got the CLOSE (a window of the smallest data
 * frames plus its last frames). Late frames beyond that are not "late" any more.
 */
public final class RecentIds {

    /** Frames a guest may have sent on a stream before it saw the host's CLOSE. */
    public static final int LATE_FRAMES = Credit.INITIAL_WINDOW / Frame.DATA_FRAME_COST + 4;

    private final int capacity;
    private final LinkedHashMap<Integer, Integer> allowance = new LinkedHashMap<>();

    public RecentIds(int capacity) {
        this.capacity = capacity;
    }

    public synchronized void add(int id) {
        if (capacity == 0) {
            return;
        }
        allowance.remove(id);
        allowance.put(id, LATE_FRAMES);
        if (allowance.size() > capacity) {
            allowance.pollFirstEntry();
        }
    }

    public synchronized boolean contains(int id) {
        return allowance.containsKey(id);
    }

    /** True when a frame for {@code id} is an expected late one (and uses up one of its allowance). */
    public synchronized boolean late(int id) {
        Integer left = allowance.get(id);
        if (left == null || left == 0) {
            return false;
        }
        allowance.put(id, left - 1);
        return true;
    }
}
