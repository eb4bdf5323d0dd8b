package dev.burrow.daemon.microvms.files;

/** A file operation the guest refused or failed, with its class (the API's status) and the guest's message. */
public final class GuestFileException extends RuntimeException {

    /** The builtins' error classes (docs/files.md) and the two the host adds. */
    public enum Kind {
        NOT_FOUND, PERMISSION, WRONG_TYPE, EXISTS, NO_SPACE, INVALID, OTHER,
        /** The microVM's agent predates the builtins: its image version must be rebuilt. */
        UNSUPPORTED
    }

    private final Kind kind;

    public GuestFileException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
