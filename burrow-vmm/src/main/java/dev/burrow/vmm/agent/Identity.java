package dev.burrow.vmm.agent;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What makes one restored microVM distinct from its siblings: fresh host entropy for the
 * kernel RNG, the host's clock, a hostname and a machine-id (SPEC §1 "Snapshot uniqueness").
 */
public record Identity(String hostname, String machineId, byte[] entropy, Instant time) {

    private static final SecureRandom RANDOM = new SecureRandom();
    public static final int ENTROPY_BYTES = 64;

    public Identity {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(machineId, "machineId");
        if (!hostname.matches("[A-Za-z0-9][A-Za-z0-9.-]{0,63}")) {
            throw new IllegalArgumentException("hostname must match [A-Za-z0-9][A-Za-z0-9.-]{0,63}: " + hostname);
        }
        if (!machineId.matches("[0-9a-f]{32}")) {
            throw new IllegalArgumentException("machineId must be 32 lowercase hex digits: " + machineId);
        }
        if (entropy.length > 512) {
            throw new IllegalArgumentException("entropy.length " + entropy.length + " > 512");
        }
    }

    /** A fresh identity: random machine-id and entropy, the current time. */
    public static Identity fresh(String hostname) {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        byte[] entropy = new byte[ENTROPY_BYTES];
        RANDOM.nextBytes(entropy);
        return new Identity(hostname, HexFormat.of().formatHex(id), entropy, Instant.now());
    }

    /**
     * The identity of a microVM with this id: hostname = the id, machine-id derived from it (so
     * it stays the same across suspend, resume and daemon restarts without being stored), fresh
     * entropy and the current time.
     */
    public static Identity of(String microVmId) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(("burrow machine-id " + microVmId).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            byte[] entropy = new byte[ENTROPY_BYTES];
            RANDOM.nextBytes(entropy);
            return new Identity(microVmId, HexFormat.of().formatHex(d, 0, 16), entropy, Instant.now());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same name and machine-id with new entropy and the current time (a resume). */
    public Identity refreshed() {
        byte[] entropy = new byte[ENTROPY_BYTES];
        RANDOM.nextBytes(entropy);
        return new Identity(hostname, machineId, entropy, Instant.now());
    }
}
