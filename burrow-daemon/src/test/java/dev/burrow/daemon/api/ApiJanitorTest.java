package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.EventLog;
import dev.burrow.daemon.store.IdempotencyKeys;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.daemon.store.Upload;
import dev.burrow.daemon.store.Uploads;
import dev.burrow.daemon.tokens.Tokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The expiry rule, with time as an input: what is past its limit goes, row and file, and nothing else. */
class ApiJanitorTest {

    @TempDir
    Path dir;

    Database db;
    String tenant;
    Uploads uploads;
    IdempotencyKeys keys;
    EventLog events;
    Path uploadDir;
    /** A fixed clock, to the millisecond, for rows whose times the test sets itself. */
    Instant now;

    @BeforeEach
    void open() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        tenant = new Tenants(db).create("a", null).orElseThrow().id();
        uploads = new Uploads(db);
        keys = new IdempotencyKeys(db);
        events = new EventLog(db);
        uploadDir = Files.createDirectories(dir.resolve("uploads"));
        now = Instant.ofEpochMilli(System.currentTimeMillis() + 1);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private ApiJanitor janitor(ApiLimits limits) {
        return new ApiJanitor(uploads, keys, events, new Tokens(db, Clock.systemUTC()), uploadDir, limits);
    }

    private Path upload(String id, Instant expires) throws Exception {
        Path file = Files.writeString(uploadDir.resolve(id), "bytes of " + id);
        uploads.record(new Upload(id, tenant, file, 10, "aa", now.minusMillis(5), expires));
        return file;
    }

    @Test
    void anExpiredUploadLosesItsRowAndItsFileAndALiveOneKeepsBoth() throws Exception {
        Path expired = upload("up1", now.minusMillis(1));
        Path exact = upload("up2", now);
        Path live = upload("up3", now.plusMillis(1));

        ApiJanitor.Expired e = janitor(ApiLimits.DEFAULTS).runOnce(now);

        assertThat(e.uploads()).isEqualTo(2);
        assertThat(expired).doesNotExist();
        assertThat(exact).doesNotExist();
        assertThat(live).exists();
        assertThat(uploads.get(tenant, "up1")).isEmpty();
        assertThat(uploads.get(tenant, "up3")).isPresent();
    }

    @Test
    void anUploadFileNoRowKnowsGoesOnceItIsOlderThanTheOrphanAgeButNotBefore() throws Exception {
        Path old = Files.writeString(uploadDir.resolve("upold"), "partial");
        Files.setLastModifiedTime(old, FileTime.from(now.minus(ApiJanitor.ORPHAN_AGE).minusMillis(1)));
        Path young = Files.writeString(uploadDir.resolve("upyoung"), "being written");
        Files.setLastModifiedTime(young, FileTime.from(now.minus(ApiJanitor.ORPHAN_AGE).plusMillis(1000)));
        Path known = upload("up4", now.plus(Duration.ofDays(1)));
        Files.setLastModifiedTime(known, FileTime.from(now.minus(Duration.ofDays(2))));

        assertThat(janitor(ApiLimits.DEFAULTS).runOnce(now).orphanFiles()).isEqualTo(1);

        assertThat(old).doesNotExist();
        assertThat(young).exists();
        assertThat(known).exists();
    }

    @Test
    void idempotencyKeysAreForgottenAfterTheirTimeToLive() {
        // the store stamps the key with the real time: bracket it to the millisecond
        Instant before = Instant.ofEpochMilli(System.currentTimeMillis());
        keys.save(tenant, "k1", "POST", "/v1/microvms", "h", 201, "{}");
        Instant after = Instant.ofEpochMilli(System.currentTimeMillis() + 1);
        Duration ttl = ApiLimits.DEFAULTS.idempotencyTtl();

        assertThat(janitor(ApiLimits.DEFAULTS).runOnce(before.plus(ttl)).idempotencyKeys()).isZero();
        assertThat(keys.find(tenant, "k1")).isPresent();

        assertThat(janitor(ApiLimits.DEFAULTS).runOnce(after.plus(ttl)).idempotencyKeys()).isEqualTo(1);
        assertThat(keys.find(tenant, "k1")).isEmpty();
    }

    @Test
    void eventsGoWhenOlderThanTheRetentionOrBeyondTheRowCap() {
        Instant before = Instant.ofEpochMilli(System.currentTimeMillis());
        for (int i = 0; i < 5; i++) {
            events.append("microvm-state", "vm" + i, null, "RUNNING", null, null, tenant);
        }
        Instant after = Instant.ofEpochMilli(System.currentTimeMillis() + 1);
        ApiLimits capped = new ApiLimits("localhost", 1024, 256, Duration.ofSeconds(10), Duration.ofSeconds(30),
                Duration.ofSeconds(60), 1, 16384, 1 << 20, Duration.ofHours(24), Duration.ofHours(24), Duration.ofDays(7),
                3, Duration.ofMinutes(1), 4, 8, Duration.ofSeconds(30));

        assertThat(janitor(capped).runOnce(before.plus(Duration.ofDays(7))).events()).isEqualTo(2);
        assertThat(events.since(tenant, 0, 100)).extracting(ev -> ev.resourceId()).containsExactly("vm2", "vm3", "vm4");

        assertThat(janitor(capped).runOnce(after.plus(Duration.ofDays(7))).events()).isEqualTo(3);
        assertThat(events.since(tenant, 0, 100)).isEmpty();
    }

    @Test
    void aRunWithNothingPastItsLimitRemovesNothing() throws Exception {
        Path live = upload("up5", now.plusMillis(1));
        keys.save(tenant, "k2", "POST", "/v1/images", "h", 202, "{}");
        events.append("microvm-state", "vm9", null, "RUNNING", null, null, tenant);

        assertThat(janitor(ApiLimits.DEFAULTS).runOnce(now)).isEqualTo(new ApiJanitor.Expired(0, 0, 0, 0, 0));
        assertThat(live).exists();
    }

    @Test
    void startedItRunsAtOnceAndKeepsRunning() throws Exception {
        Path expired = upload("up6", Instant.now().minusMillis(1));
        try (ApiJanitor running = janitor(ApiLimits.DEFAULTS).start()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (Files.exists(expired) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(Duration.ofMillis(10).toNanos()); // a condition wait: the file is gone or the deadline passed
            }
        }
        assertThat(expired).doesNotExist();
        assertThat(uploads.get(tenant, "up6")).isEmpty();
    }
}
