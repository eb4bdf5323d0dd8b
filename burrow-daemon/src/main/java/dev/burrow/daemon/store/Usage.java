package dev.burrow.daemon.store;

/** What a tenant uses now, in the units of its {@link Quotas} (MiB rounded up). */
public record Usage(long microvms, long vcpus, long memoryMiB, long suspendedMiB, long uploadsMiB, long builds) {}
