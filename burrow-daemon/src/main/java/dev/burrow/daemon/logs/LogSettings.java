package dev.burrow.daemon.logs;

import java.time.Duration;

/**
 * Every limit of the logs route, with its default in one place ({@link #DEFAULTS}).
 *
 * @param poll           how often a follower looks for new console output (and at the microVM's state)
 * @param readBytes      the most read from the ring at a time: the one buffer a reader holds
 * @param maxLineBytes   an NDJSON line's {@code text} carries at most this many bytes of output; a
 *                       longer console line is cut into pieces of this size
 * @param snapshotBytes  a read without {@code follow} ends after this many bytes (twice the ring),
 *                       so a guest printing as fast as it can does not make it endless
 * @param keepAlive      an NDJSON follow that had nothing to send for this long sends a bare newline
 *                       (it keeps the connection open and notices a client that is gone)
 * @param textFollowIdle a text follow cannot send keep-alives: its connection may stay quiet this long
 */
public record LogSettings(Duration poll, int readBytes, int maxLineBytes, long snapshotBytes, Duration keepAlive,
                          Duration textFollowIdle) {

    public static final LogSettings DEFAULTS = new LogSettings(Duration.ofMillis(250), 64 * 1024, 16 * 1024, 2L << 20,
            Duration.ofSeconds(15), Duration.ofHours(1));

    public LogSettings {
        if (poll.isNegative() || poll.isZero() || readBytes < 4096 || maxLineBytes < 16 || maxLineBytes > readBytes
                || snapshotBytes < readBytes) {
            throw new IllegalArgumentException("inconsistent log settings: " + this);
        }
    }

    /** A copy with another poll interval (tests use a short one). */
    public LogSettings withPoll(Duration p) {
        return new LogSettings(p, readBytes, maxLineBytes, snapshotBytes, keepAlive, textFollowIdle);
    }
}
