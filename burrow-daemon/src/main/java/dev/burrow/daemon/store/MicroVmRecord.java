package dev.burrow.daemon.store;

import java.time.Instant;
import java.util.Map;

/**
 * A microVM's row. {@code state} is the microVM state's name (the enum lives with the lifecycle);
 * {@code network} and {@code idlePolicy} are JSON as the API gives them; {@code vmmPid}/{@code
 * vmmStartTime} identify the VMM process across restarts (null when none); {@code dir} is its
 * directory; {@code suspendedAt} is set by {@link MicroVmRecords#transition} on entering SUSPENDED
 * and cleared on RESUMING/RUNNING (suspendedSeconds counts from it). While SUSPENDED,
 * {@code savedId} names the engine's saved state it resumes from, {@code suspensionTier} is
 * {@code memory} or {@code disk} and {@code suspensionBytes} what the save holds.
 */
public record MicroVmRecord(String id, String tenantId, String image, int version, String state, String stateReason,
                            Instant createdAt, Instant updatedAt, Instant expiresAt, Map<String, String> labels,
                            Map<String, String> env, String network, Long vmmPid, Long vmmStartTime, String dir,
                            String idlePolicy, Instant suspendedAt, String savedId, String suspensionTier,
                            Long suspensionBytes, String runHookPayload) {

    public MicroVmRecord {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    /** Not suspended, no run hook payload. */
    public MicroVmRecord(String id, String tenantId, String image, int version, String state, String stateReason,
                         Instant createdAt, Instant updatedAt, Instant expiresAt, Map<String, String> labels,
                         Map<String, String> env, String network, Long vmmPid, Long vmmStartTime, String dir,
                         String idlePolicy) {
        this(id, tenantId, image, version, state, stateReason, createdAt, updatedAt, expiresAt, labels, env, network,
                vmmPid, vmmStartTime, dir, idlePolicy, null, null, null, null, null);
    }

    /** Without an idle policy, not suspended. */
    public MicroVmRecord(String id, String tenantId, String image, int version, String state, String stateReason,
                         Instant createdAt, Instant updatedAt, Instant expiresAt, Map<String, String> labels,
                         Map<String, String> env, String network, Long vmmPid, Long vmmStartTime, String dir) {
        this(id, tenantId, image, version, state, stateReason, createdAt, updatedAt, expiresAt, labels, env, network,
                vmmPid, vmmStartTime, dir, null);
    }

    public MicroVmRecord withRunHookPayload(String payload) {
        return new MicroVmRecord(id, tenantId, image, version, state, stateReason, createdAt, updatedAt, expiresAt, labels,
                env, network, vmmPid, vmmStartTime, dir, idlePolicy, suspendedAt, savedId, suspensionTier, suspensionBytes, payload);
    }
}
