package dev.burrow.vmm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named points in the lifecycle where the crash tests kill burrowd as {@code kill -9} would:
 * when the environment variable {@value #VARIABLE} names a point, the process halts there
 * (no shutdown hooks, no finally blocks, exit status 137). Unset — always, outside those
 * tests — a point costs one string comparison.
 */
public final class CrashPoints {

    public static final String VARIABLE = "BURROW_CRASH_AT";
    private static final Logger LOG = LoggerFactory.getLogger(CrashPoints.class);
    private static final String ARMED = System.getenv(VARIABLE);

    private CrashPoints() {}

    public static void reach(String point) {
        if (ARMED != null && ARMED.equals(point)) {
            LOG.error("crash point {} reached: halting as kill -9 would", point);
            Runtime.getRuntime().halt(137);
        }
    }
}
