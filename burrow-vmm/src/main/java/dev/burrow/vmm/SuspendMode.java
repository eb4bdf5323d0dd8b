package dev.burrow.vmm;

/** What happens to a microVM's VMM once its suspend is durable. */
public enum SuspendMode {
    /** The stopped VMM stays as a cache: resume is a {@code cont} (the memory tier). */
    KEEP_VMM,
    /** The VMM ends: no process, no RAM; resume restores the saved state (the disk tier). */
    END_VMM
}
