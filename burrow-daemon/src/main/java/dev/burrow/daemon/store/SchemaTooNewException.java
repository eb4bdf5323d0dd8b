package dev.burrow.daemon.store;

/** The database was migrated by a newer burrowd than this one (SPEC §7: refuse to start). */
public final class SchemaTooNewException extends StoreException {

    private final int found;
    private final int known;

    public SchemaTooNewException(int found, int known) {
        super("database schema version " + found + " is newer than this burrowd (knows up to " + known + "); upgrade burrowd");
        this.found = found;
        this.known = known;
    }

    public int found() {
        return found;
    }

    public int known() {
        return known;
    }
}
