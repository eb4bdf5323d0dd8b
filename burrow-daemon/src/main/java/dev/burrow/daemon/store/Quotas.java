package dev.burrow.daemon.store;

/** A tenant's limits ({@code quotas: {microvms, vcpus, memoryMiB, suspendedMiB}}); a null field is unlimited. */
public record Quotas(Integer microvms, Integer vcpus, Integer memoryMiB, Integer suspendedMiB) {

    public static final Quotas UNLIMITED = new Quotas(null, null, null, null);
}
