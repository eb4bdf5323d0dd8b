package dev.burrow.vmm.agent.internal;

import java.util.LinkedHashSet;

/** The last {@code capacity} ids added, oldest forgotten first. */
public final class RecentIds {

    private final int capacity;
    private final LinkedHashSet<Integer> ids = new LinkedHashSet<>();

    public RecentIds(int capacity) {
        this.capacity = capacity;
    }

    public synchronized void add(int id) {
        if (capacity == 0) {
            return;
        }
        ids.remove(id);
        ids.add(id);
        if (ids.size() > capacity) {
            ids.removeFirst();
        }
    }

    public synchronized boolean contains(int id) {
        return ids.contains(id);
    }
}
