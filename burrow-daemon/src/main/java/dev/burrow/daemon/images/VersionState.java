package dev.burrow.daemon.images;

/** {@code PENDING → BUILDING → READY | FAILED}. */
public enum VersionState {
    PENDING, BUILDING, READY, FAILED;

    public boolean terminal() {
        return this == READY || this == FAILED;
    }
}
