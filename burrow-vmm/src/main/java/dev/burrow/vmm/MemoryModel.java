package dev.burrow.vmm;

/**
 * How a restored microVM's RAM relates to its template's memory file
 * (docs/adr/0002-memory-model.md has the measurements behind the default).
 */
public enum MemoryModel {
    /**
     * The template file mapped privately ({@code share=off}): pages load lazily from the shared
     * page cache; the microVM owns only what it dirties. Densest and fastest to start; saving it
     * again means migrating its RAM.
     */
    PRIVATE,
    /**
     * A per-microVM copy of the template file (a reflink where the file system has them, else a
     * sparse copy) mapped {@code share=on}: saving it is device state plus an fsync of dirty
     * pages, but clones share no page cache and the copy costs time at every start.
     */
    OWN_FILE
}
