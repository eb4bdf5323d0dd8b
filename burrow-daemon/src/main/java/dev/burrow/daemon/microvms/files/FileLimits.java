package dev.burrow.daemon.microvms.files;

import java.time.Duration;

/**
 * Every limit of the files API, with its default in one place ({@link #DEFAULTS}).
 *
 * @param maxPathBytes    a path's UTF-8 length (the guest's PATH_MAX)
 * @param maxResultBytes  the JSON a builtin prints for one entry (stat, write, mkdir, mv)
 * @param maxLineBytes    one NDJSON line of list or watch
 * @param maxMessageBytes the guest's error message kept for a problem's detail
 * @param chunkBytes      an upload is passed to the guest this many bytes at a time
 * @param stdinWait       how long an upload waits for the guest to take more
 * @param opTimeout       a whole small operation (stat, mkdir, rm, mv) and an upload's commit
 *                        (fsync and rename) after its last byte
 * @param poll            how often a quiet transfer looks at the daemon stopping
 * @param keepAlive       a quiet watch sends a bare newline this often (notices a client gone)
 */
public record FileLimits(int maxPathBytes, int maxResultBytes, int maxLineBytes, int maxMessageBytes, int chunkBytes,
                         Duration stdinWait, Duration opTimeout, Duration poll, Duration keepAlive) {

    public static final FileLimits DEFAULTS = new FileLimits(4096, 64 * 1024, 64 * 1024, 1024, 64 * 1024,
            Duration.ofSeconds(60), Duration.ofMinutes(10), Duration.ofMillis(500), Duration.ofSeconds(15));
}
