package dev.burrow.vmm;

/**
 * How a microVM came to run, as {@link MicroVm#startPath()} reports it: what a daemon tells the
 * caller of a run (a response header and a metric, issue 13).
 */
public enum StartPath {
    /** Claimed from the standby pool: restored and paused ahead of the run, only resumed and given its identity. */
    STANDBY,
    /** Restored into a VMM started ahead of the run (the warm pool): process start-up skipped, the restore done. */
    WARM,
    /** Restored from nothing: VMM start-up and restore both on the run's path (also every cold boot). */
    COLD
}
