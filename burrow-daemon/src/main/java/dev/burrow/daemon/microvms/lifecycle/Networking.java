package dev.burrow.daemon.microvms.lifecycle;

import dev.burrow.vmm.net.NetworkSpec;

/**
 * What the lifecycle needs of microVM networking (the daemon's egress services): the engine's
 * spec for a stored {@code network}, and the per-microVM services opened after every restore
 * (run, resume, fork, adoption) and closed when the guest stops or ends.
 */
public interface Networking {

    /** No networks: every microVM runs with {@link NetworkSpec#NONE}. */
    Networking NONE = new Networking() {
        @Override
        public NetworkSpec spec(String network) {
            return NetworkSpec.NONE;
        }

        @Override
        public void open(String vmId, String network) {}

        @Override
        public void close(String vmId) {}

        @Override
        public void forget(String vmId) {}
    };

    /** The engine's network spec for a microVM's stored {@code network} JSON. */
    NetworkSpec spec(String network);

    /** The microVM's network path exists: start its services (throws when they cannot start). */
    void open(String vmId, String network);

    /** The guest stopped (suspended) or is going: stop its services. Idempotent. */
    void close(String vmId);

    /** The microVM ended: its services and everything recorded about it go. */
    void forget(String vmId);
}
