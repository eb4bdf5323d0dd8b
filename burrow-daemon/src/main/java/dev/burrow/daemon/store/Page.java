package dev.burrow.daemon.store;

import java.util.List;

/** One page of a list: {@code nextCursor} is null on the last page (API {@code {items, nextCursor}}). */
public record Page<T>(List<T> items, String nextCursor) {

    public Page {
        items = List.copyOf(items);
    }
}
