package dev.burrow.vmm.agent;

/**
 * A layer builtin ({@link GuestLayers}) ended with a non-zero exit code: {@code exitCode} is the
 * builtin's (guest/agent/fs_util.h: 15 no space, 16 a refused argument or tar entry…) and
 * {@code stderr} what it said, bounded by {@link GuestLayers#MAX_STDERR_BYTES}.
 */
public final class GuestLayerException extends AgentException {

    /** The builtin ran out of space in the guest (fs_util.h FS_EXIT_NO_SPACE). */
    public static final int EXIT_NO_SPACE = 15;
    /** The builtin refused an argument or, for {@code untar}, an entry of the tar (FS_EXIT_USAGE). */
    public static final int EXIT_REFUSED = 16;

    private final String builtin;
    private final int exitCode;
    private final String stderr;

    public GuestLayerException(String builtin, int exitCode, String stderr) {
        super(builtin + " failed in the guest (exit " + exitCode + ")" + (stderr.isBlank() ? "" : ": " + stderr.strip()));
        this.builtin = builtin;
        this.exitCode = exitCode;
        this.stderr = stderr;
    }

    public String builtin() {
        return builtin;
    }

    public int exitCode() {
        return exitCode;
    }

    public String stderr() {
        return stderr;
    }
}
