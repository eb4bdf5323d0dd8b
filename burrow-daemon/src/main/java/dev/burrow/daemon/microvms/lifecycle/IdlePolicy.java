package dev.burrow.daemon.microvms.lifecycle;

import java.time.Duration;

/**
 * SPEC §1 idle policy. {@code suspendedSeconds} null = keep a suspended microVM until its
 * lifetime ends; 0 = an idle suspend terminates instead (a manual suspend never does).
 */
public record IdlePolicy(int maxIdleSeconds, Integer suspendedSeconds, boolean autoResume) {

    public Duration maxIdle() {
        return Duration.ofSeconds(maxIdleSeconds);
    }

    /** An idle microVM is terminated rather than suspended. */
    public boolean terminatesWhenIdle() {
        return suspendedSeconds != null && suspendedSeconds == 0;
    }
}
