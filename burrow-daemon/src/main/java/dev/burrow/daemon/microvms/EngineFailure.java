package dev.burrow.daemon.microvms;

import dev.burrow.vmm.TemplateMismatchException;
import dev.burrow.vmm.VmmException;
import java.io.IOException;

/**
 * The engine could not do what the lifecycle asked: the microVM's state says what became of it
 * (RUNNING again after a failed suspend, SUSPENDED after a failed resume, FAILED when its VMM is
 * gone). The API answers by {@link Kind}, never with a bare 500.
 */
public final class EngineFailure extends RuntimeException {

    public enum Kind {
        /** The VMM process ended or stopped answering its control socket. */
        VMM_DIED,
        /** The VMM or its guest did not finish within its deadline. */
        TIMEOUT,
        /** A saved state or template made on another host profile (rebuild or resume elsewhere). */
        INCOMPATIBLE,
        /** Reading or writing the microVM's files failed (disk full, I/O error). */
        IO
    }

    private final Kind kind;

    public EngineFailure(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Classifies an engine exception; {@code what} says what was being done ("resuming vm…"). */
    public static EngineFailure of(String what, VmmException e) {
        return new EngineFailure(classify(e), what + " failed: " + e.getMessage(), e);
    }

    static Kind classify(VmmException e) {
        if (e instanceof TemplateMismatchException) {
            return Kind.INCOMPATIBLE;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return Kind.IO;
            }
        }
        String m = String.valueOf(e.getMessage());
        if (m.contains("timed out") || m.contains("did not complete within") || m.contains("did not answer")) {
            return Kind.TIMEOUT;
        }
        return Kind.VMM_DIED;
    }
}
