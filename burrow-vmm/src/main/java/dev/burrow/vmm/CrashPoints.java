package dev.burrow.vmm;

import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named points in the lifecycle where the crash tests kill burrowd as {@code kill -9} would:
 * when the environment variable {@value #VARIABLE} names a point ({@code suspend.saved}, or
 * {@code suspend.saved#2} for its second passage in this process), the process halts there —
 * no shutdown hooks, no finally blocks, exit status 137. Unset (always, outside those tests) a
 * point costs one comparison.
 */
public final class CrashPoints {

    public static final String VARIABLE = "BURROW_CRASH_AT";
    private static final Logger LOG = LoggerFactory.getLogger(CrashPoints.class);
    private static final String POINT;
    private static final int PASSAGE;
    private static final AtomicInteger PASSED = new AtomicInteger();

    static {
        String armed = System.getenv(VARIABLE);
        int hash = armed == null ? -1 : armed.indexOf('#');
        POINT = hash < 0 ? armed : armed.substring(0, hash);
        PASSAGE = hash < 0 ? 1 : Integer.parseInt(armed.substring(hash + 1));
    }

    private CrashPoints() {}

    public static void reach(String point) {
        if (POINT != null && POINT.equals(point) && PASSED.incrementAndGet() == PASSAGE) {
            LOG.error("crash point {} reached (passage {}): halting as kill -9 would", point, PASSAGE);
            Runtime.getRuntime().halt(137);
        }
    }
}
