package dev.burrow.daemon.api;

import java.time.Duration;

/**
 * The PTY WebSocket's limits and timers, with their defaults in one place ({@link #DEFAULTS}).
 *
 * @param maxSize          the largest terminal width or height (the guest agent's bound)
 * @param maxInputBytes    one binary message from the client (a larger one closes the socket with 1009);
 *                         clients send large pastes in pieces
 * @param maxControlBytes  one text (control) message from the client
 * @param pingPeriod       how often the server pings an open socket, so a silent shell is not an idle connection
 * @param idleTimeout      a socket with no frame in either direction (pongs included) for this long is closed
 * @param inputStall       how long a keystroke may wait for the guest to take input before the terminal is ended
 * @param poll             how often the output pump looks at a stopping daemon and the ping clock while the guest is quiet
 * @param touchPeriod      traffic refreshes the microVM's idle clock at most this often
 * @param openDeadline     from the upgrade's answer to the socket being open (else the terminal is ended)
 */
record PtyLimits(int maxSize, int maxInputBytes, int maxControlBytes, Duration pingPeriod, Duration idleTimeout,
                 Duration inputStall, Duration poll, Duration touchPeriod, Duration openDeadline) {

    static final int DEFAULT_COLS = 80;
    static final int DEFAULT_ROWS = 24;

    static final PtyLimits DEFAULTS = new PtyLimits(1000, 64 * 1024, 4 * 1024, Duration.ofSeconds(30), Duration.ofSeconds(120),
            Duration.ofSeconds(60), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(10));

    /** A copy with other timers (tests use short ones). */
    PtyLimits withTimers(Duration ping, Duration idle, Duration stall) {
        return new PtyLimits(maxSize, maxInputBytes, maxControlBytes, ping, idle, stall, poll, touchPeriod, openDeadline);
    }
}
