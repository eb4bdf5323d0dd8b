package dev.burrow.vmm.agent;

import java.util.OptionalInt;

/**
 * The agent's answer to HELLO: its version, which uniqueness steps failed (a bit set, see
 * docs/PROTOCOL.md) and the state of the image's entrypoint.
 */
public record HelloAck(int protocolVersion, String agentVersion, int problems, String detail,
                       EntrypointState entrypoint, OptionalInt entrypointExitCode, OptionalInt entrypointSignal) {

    public static final int PROBLEM_RNG = 1;
    public static final int PROBLEM_CLOCK = 2;
    public static final int PROBLEM_HOSTNAME = 4;
    public static final int PROBLEM_MACHINE_ID = 8;

    public enum EntrypointState { NONE, RUNNING, EXITED }

    public boolean clean() {
        return problems == 0;
    }
}
