package dev.burrow.daemon.microvms;

/**
 * A {@code run} or {@code resume} hook failed, so the microVM was terminated (SPEC §1): 422
 * {@code run-hook-failed} / {@code resume-hook-failed} naming the microVM.
 */
public final class HookFailedException extends RuntimeException {

    private final String hook;
    private final String microVmId;

    public HookFailedException(String hook, String microVmId, String message) {
        super(message);
        this.hook = hook;
        this.microVmId = microVmId;
    }

    public String hook() {
        return hook;
    }

    public String microVmId() {
        return microVmId;
    }
}
