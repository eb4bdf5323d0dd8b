package dev.burrow.vmm.agent;

import java.time.Duration;

/**
 * Every bound the host puts on one agent channel, with its default in one place. The guest is
 * hostile: each queue, each collected output and each rate it can drive has a limit here.
 *
 * @param corruptFramesPerMinute corrupt frames and protocol violations tolerated in a sliding minute
 * @param sendTimeout how long a host sender waits for the guest to take frames or grant credit
 * @param maxAwaitOutputBytes bytes of stdout (and, separately, of stderr) {@link ExecSession#await} keeps
 * @param maxPendingHellos HELLOs waiting for their acknowledgement at once
 * @param maxPendingPings PINGs waiting for their PONG at once
 * @param maxPendingStats STATS waiting for their STATS_REPLY at once
 * @param recentlyClosedStreams ids of streams the host closed that may still get late frames
 * @param framesPerSecond frames the reader decodes per second on average (token bucket refill)
 * @param frameBurst frames the bucket holds
 * @param bytesPerSecond bytes the reader takes from the guest per second on average
 * @param byteBurst bytes the bucket holds
 * @param logLinesPerSecond LOG frames passed on per second on average; the rest are counted and dropped
 * @param logBurst LOG frames the bucket holds
 */
public record AgentLimits(
        int corruptFramesPerMinute,
        Duration sendTimeout,
        int maxAwaitOutputBytes,
        int maxPendingHellos,
        int maxPendingPings,
        int maxPendingStats,
        int recentlyClosedStreams,
        long framesPerSecond,
        long frameBurst,
        long bytesPerSecond,
        long byteBurst,
        long logLinesPerSecond,
        long logBurst) {

    public static final int DEFAULT_CORRUPT_FRAMES_PER_MINUTE = 100;
    public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_AWAIT_OUTPUT_BYTES = 16 << 20;
    public static final int DEFAULT_MAX_PENDING_HELLOS = 4;
    public static final int DEFAULT_MAX_PENDING_PINGS = 16;
    /** The idle policy samples once a second; a few more callers (metrics) fit beside it. */
    public static final int DEFAULT_MAX_PENDING_STATS = 8;
    public static final int DEFAULT_RECENTLY_CLOSED_STREAMS = 64;
    /** Far above what a guest needs (64 KiB frames at 2 GB/s are 32 k frames/s); bounds a tiny-frame flood. */
    public static final long DEFAULT_FRAMES_PER_SECOND = 100_000;
    public static final long DEFAULT_FRAME_BURST = 20_000;
    public static final long DEFAULT_BYTES_PER_SECOND = 2L << 30;
    public static final long DEFAULT_BYTE_BURST = 64L << 20;
    public static final long DEFAULT_LOG_LINES_PER_SECOND = 20;
    public static final long DEFAULT_LOG_BURST = 100;

    public AgentLimits {
        if (corruptFramesPerMinute < 0 || maxAwaitOutputBytes < 0 || maxPendingHellos < 1 || maxPendingPings < 1 || maxPendingStats < 1
                || recentlyClosedStreams < 0 || framesPerSecond < 1 || frameBurst < 1 || bytesPerSecond < 1
                || byteBurst < 1 || logLinesPerSecond < 1 || logBurst < 1) {
            throw new IllegalArgumentException("agent limits must be positive: " + this);
        }
        if (sendTimeout.isNegative() || sendTimeout.isZero()) {
            throw new IllegalArgumentException("sendTimeout must be positive: " + sendTimeout);
        }
    }

    public static AgentLimits defaults() {
        return new AgentLimits(DEFAULT_CORRUPT_FRAMES_PER_MINUTE, DEFAULT_SEND_TIMEOUT, DEFAULT_MAX_AWAIT_OUTPUT_BYTES,
                DEFAULT_MAX_PENDING_HELLOS, DEFAULT_MAX_PENDING_PINGS, DEFAULT_MAX_PENDING_STATS, DEFAULT_RECENTLY_CLOSED_STREAMS,
                DEFAULT_FRAMES_PER_SECOND, DEFAULT_FRAME_BURST, DEFAULT_BYTES_PER_SECOND, DEFAULT_BYTE_BURST,
                DEFAULT_LOG_LINES_PER_SECOND, DEFAULT_LOG_BURST);
    }

    public AgentLimits withCorruptFramesPerMinute(int value) {
        return new AgentLimits(value, sendTimeout, maxAwaitOutputBytes, maxPendingHellos, maxPendingPings,
                maxPendingStats, recentlyClosedStreams, framesPerSecond, frameBurst, bytesPerSecond, byteBurst, logLinesPerSecond, logBurst);
    }

    public AgentLimits withSendTimeout(Duration value) {
        return new AgentLimits(corruptFramesPerMinute, value, maxAwaitOutputBytes, maxPendingHellos, maxPendingPings,
                maxPendingStats, recentlyClosedStreams, framesPerSecond, frameBurst, bytesPerSecond, byteBurst, logLinesPerSecond, logBurst);
    }

    public AgentLimits withMaxAwaitOutputBytes(int value) {
        return new AgentLimits(corruptFramesPerMinute, sendTimeout, value, maxPendingHellos, maxPendingPings,
                maxPendingStats, recentlyClosedStreams, framesPerSecond, frameBurst, bytesPerSecond, byteBurst, logLinesPerSecond, logBurst);
    }

    public AgentLimits withFrameRate(long perSecond, long burst) {
        return new AgentLimits(corruptFramesPerMinute, sendTimeout, maxAwaitOutputBytes, maxPendingHellos, maxPendingPings,
                maxPendingStats, recentlyClosedStreams, perSecond, burst, bytesPerSecond, byteBurst, logLinesPerSecond, logBurst);
    }

    public AgentLimits withByteRate(long perSecond, long burst) {
        return new AgentLimits(corruptFramesPerMinute, sendTimeout, maxAwaitOutputBytes, maxPendingHellos, maxPendingPings,
                maxPendingStats, recentlyClosedStreams, framesPerSecond, frameBurst, perSecond, burst, logLinesPerSecond, logBurst);
    }
}
