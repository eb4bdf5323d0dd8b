package dev.burrow.daemon.api;

import dev.burrow.daemon.store.EventLog;
import dev.burrow.daemon.store.IdempotencyKeys;
import dev.burrow.daemon.store.Uploads;
import dev.burrow.daemon.tokens.Tokens;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expiry of what the API accumulates: unused uploads (row and file), idempotency keys, old
 * events (by age and by a row cap), and upload files no row knows (a crash mid-upload). The rule
 * is {@link #runOnce(Instant)}, time an input; {@link #start} calls it every
 * {@link ApiLimits#janitorPeriod}.
 */
public final class ApiJanitor implements AutoCloseable {

    /** An upload file without a row this old is an abandoned partial one (a live upload keeps writing it). */
    static final Duration ORPHAN_AGE = Duration.ofMinutes(10);
    private static final Logger LOG = LoggerFactory.getLogger(ApiJanitor.class);

    /** What one run removed. */
    public record Expired(int uploads, int orphanFiles, int idempotencyKeys, int events, int tokens) {}

    private final Uploads uploads;
    private final IdempotencyKeys idempotency;
    private final EventLog events;
    private final Tokens tokens;
    private final Path uploadDir;
    private final ApiLimits limits;
    private ScheduledExecutorService timer;

    public ApiJanitor(Uploads uploads, IdempotencyKeys idempotency, EventLog events, Tokens tokens, Path uploadDir, ApiLimits limits) {
        this.uploads = uploads;
        this.tokens = tokens;
        this.idempotency = idempotency;
        this.events = events;
        this.uploadDir = uploadDir;
        this.limits = limits;
    }

    public Expired runOnce(Instant now) {
        List<Path> expired = uploads.deleteExpired(now);
        expired.forEach(ApiJanitor::deleteQuietly);
        int orphans = deleteOrphans(now);
        int keys = idempotency.deleteOlderThan(now.minus(limits.idempotencyTtl()));
        int old = events.deleteOlderThan(now.minus(limits.eventRetention())) + events.keepNewest(limits.maxEventRows());
        int expiredTokens = tokens.deleteExpired(now);
        Expired e = new Expired(expired.size(), orphans, keys, old, expiredTokens);
        if (expired.size() + orphans + keys + old + expiredTokens > 0) {
            LOG.info("expired {}", e);
        }
        return e;
    }

    private int deleteOrphans(Instant now) {
        if (!Files.isDirectory(uploadDir)) {
            return 0;
        }
        Set<Path> known = new HashSet<>(uploads.paths());
        int n = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(uploadDir)) {
            for (Path p : dir) {
                if (!known.contains(p) && Files.getLastModifiedTime(p).toInstant().isBefore(now.minus(ORPHAN_AGE))) {
                    deleteQuietly(p);
                    n++;
                }
            }
        } catch (IOException e) {
            LOG.warn("could not list the uploads directory: {}", e.getMessage());
        }
        return n;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (NoSuchFileException ignored) {
            // already gone
        } catch (IOException e) {
            LOG.warn("could not delete an expired upload file: {}", e.getMessage());
        }
    }

    /** Runs {@link #runOnce} now and then every {@link ApiLimits#janitorPeriod}. */
    public synchronized ApiJanitor start() {
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("burrowd-janitor").factory());
        long period = limits.janitorPeriod().toMillis();
        timer.scheduleWithFixedDelay(this::runSafely, 0, period, TimeUnit.MILLISECONDS);
        return this;
    }

    private void runSafely() {
        try {
            runOnce(Instant.now());
        } catch (RuntimeException e) {
            LOG.warn("expiry failed; it runs again in {}", limits.janitorPeriod(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
