package dev.burrow.daemon.images;

import java.time.Instant;

/**
 * The entrypoint started at build time (SPEC §1): {@code state} NONE (the image has none),
 * RUNNING, or EXITED with its code (128+signal when killed) and time. An exit never fails a build.
 */
public record EntrypointStatus(State state, Integer exitCode, Instant exitedAt) {

    public enum State { NONE, RUNNING, EXITED }

    public static final EntrypointStatus NONE = new EntrypointStatus(State.NONE, null, null);
    public static final EntrypointStatus RUNNING = new EntrypointStatus(State.RUNNING, null, null);

    public static EntrypointStatus exited(int code, Instant at) {
        return new EntrypointStatus(State.EXITED, code, at);
    }
}
