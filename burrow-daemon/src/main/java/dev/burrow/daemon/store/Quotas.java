package dev.burrow.daemon.store;

/**
 * A tenant's limits (SPEC §3 plus issue 10's uploads and builds); a null field is unlimited.
 * {@code microvms}: microVMs not TERMINATED or FAILED; {@code vcpus}/{@code memoryMiB}: the sum
 * over microVMs that hold a VMM; {@code suspendedMiB}: what suspended microVMs' saves hold;
 * {@code uploadsMiB}: stored, unexpired uploads; {@code builds}: versions PENDING or BUILDING at
 * once. docs/tenants.md says why each counts what it counts.
 */
public record Quotas(Integer microvms, Integer vcpus, Integer memoryMiB, Integer suspendedMiB, Integer uploadsMiB, Integer builds) {

    public static final Quotas UNLIMITED = new Quotas(null, null, null, null, null, null);

    /** The four quotas SPEC §3 names; uploads and builds unlimited. */
    public Quotas(Integer microvms, Integer vcpus, Integer memoryMiB, Integer suspendedMiB) {
        this(microvms, vcpus, memoryMiB, suspendedMiB, null, null);
    }
}
