package dev.burrow.daemon.microvms.lifecycle;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * SPEC §1 microVM states and the only transitions between them:
 *
 * <pre>
 *   PENDING ──▶ RUNNING ◀─────────── RESUMING ◀── resume (API, or a data-plane call with autoResume)
 *      │          │   ▲                 │  │
 *      │  suspend │   │ save failed,    │  └──▶ SUSPENDED (resume failed, the save is whole)
 *      │          ▼   │ guest running   │
 *      │       SUSPENDING ──▶ SUSPENDED ┘
 *      │                          │
 *      └──────────────┬───────────┴── terminate (any state), lifetime, idle with suspendedSeconds 0,
 *                     ▼                suspendedSeconds elapsed, a failing run or resume hook
 *                TERMINATING ──▶ TERMINATED
 *
 *   FAILED: the VMM died, the guest broke the agent protocol, or a saved state was lost.
 * </pre>
 *
 * TERMINATED and FAILED are terminal. A move the table does not allow is a bug in the
 * lifecycle, never a client error: callers check the state first and answer 409.
 */
public enum MicroVmState {
    PENDING, RUNNING, SUSPENDING, SUSPENDED, RESUMING, TERMINATING, TERMINATED, FAILED;

    private static final Map<MicroVmState, Set<MicroVmState>> ALLOWED = new EnumMap<>(MicroVmState.class);

    static {
        ALLOWED.put(PENDING, EnumSet.of(RUNNING, TERMINATING, FAILED));
        ALLOWED.put(RUNNING, EnumSet.of(SUSPENDING, TERMINATING, FAILED));
        ALLOWED.put(SUSPENDING, EnumSet.of(SUSPENDED, RUNNING, FAILED));
        ALLOWED.put(SUSPENDED, EnumSet.of(RESUMING, TERMINATING, FAILED));
        ALLOWED.put(RESUMING, EnumSet.of(RUNNING, SUSPENDED, TERMINATING, FAILED));
        ALLOWED.put(TERMINATING, EnumSet.of(TERMINATED));
        ALLOWED.put(TERMINATED, EnumSet.noneOf(MicroVmState.class));
        ALLOWED.put(FAILED, EnumSet.noneOf(MicroVmState.class));
    }

    public boolean terminal() {
        return this == TERMINATED || this == FAILED;
    }

    /** A state only seen while an operation runs; a restart resolves each to a true one. */
    public boolean transitional() {
        return this == PENDING || this == SUSPENDING || this == RESUMING || this == TERMINATING;
    }

    public boolean canMoveTo(MicroVmState to) {
        return ALLOWED.get(this).contains(to);
    }

    /** The states this one may move to, for tests and documentation. */
    public Set<MicroVmState> next() {
        return Set.copyOf(ALLOWED.get(this));
    }
}
