package dev.burrow.daemon.microvms;

/** SPEC §1 microVM states. Only PENDING, RUNNING, TERMINATING, TERMINATED and FAILED are reachable until the lifecycle issue. */
public enum MicroVmState {
    PENDING, RUNNING, SUSPENDING, SUSPENDED, RESUMING, TERMINATING, TERMINATED, FAILED;

    public boolean terminal() {
        return this == TERMINATED || this == FAILED;
    }
}
