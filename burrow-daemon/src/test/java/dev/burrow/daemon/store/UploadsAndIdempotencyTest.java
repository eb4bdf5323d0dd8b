package dev.burrow.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadsAndIdempotencyTest {

    @TempDir
    Path dir;

    Database db;
    String tenantA;
    String tenantB;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        tenantA = new Tenants(db).create("a", null).orElseThrow().id();
        tenantB = new Tenants(db).create("b", null).orElseThrow().id();
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void uploadsExpire() {
        Uploads uploads = new Uploads(db);
        Instant now = Instant.parse("2026-11-29T10:00:00Z");
        Upload old = new Upload("up1", tenantA, Path.of("/data/uploads/up1"), 10, "aa", now.minusSeconds(100), now.minusSeconds(1));
        Upload fresh = new Upload("up2", tenantA, Path.of("/data/uploads/up2"), 20, "bb", now, now.plusSeconds(3600));
        uploads.record(old);
        uploads.record(fresh);
        assertThat(uploads.get(tenantA, "up1")).contains(old);
        assertThat(uploads.get(tenantB, "up1")).isEmpty();
        assertThat(uploads.deleteExpired(now)).containsExactly(Path.of("/data/uploads/up1"));
        assertThat(uploads.get(tenantA, "up1")).isEmpty();
        assertThat(uploads.get(tenantA, "up2")).contains(fresh);
        assertThat(uploads.delete(tenantB, "up2")).isEmpty();
        assertThat(uploads.delete(tenantA, "up2")).contains(Path.of("/data/uploads/up2"));
        Upload u = uploads.record("up3", tenantA, "/data/uploads/up3", 5, "cc", now.plusSeconds(60));
        assertThat(uploads.get(tenantA, "up3")).contains(u);
    }

    @Test
    void sameKeyDifferentRequestIsDetected() {
        IdempotencyKeys keys = new IdempotencyKeys(db);
        assertThat(keys.find(tenantA, "k1")).isEmpty();
        IdempotencyKeys.Stored first = keys.save(tenantA, "k1", "POST", "/v1/microvms", "h1", 201, "{\"id\":\"vm1\"}");
        assertThat(first.matches("POST", "/v1/microvms", "h1")).isTrue();

        IdempotencyKeys.Stored again = keys.save(tenantA, "k1", "POST", "/v1/microvms", "h2", 201, "{\"id\":\"vm2\"}");
        assertThat(again.response()).isEqualTo("{\"id\":\"vm1\"}");
        assertThat(again.matches("POST", "/v1/microvms", "h2")).as("a different body under the same key").isFalse();
        assertThat(keys.find(tenantA, "k1")).get().satisfies(s -> {
            assertThat(s.status()).isEqualTo(201);
            assertThat(s.matches("POST", "/v1/microvms", "h1")).isTrue();
        });
        // keys are per tenant
        assertThat(keys.find(tenantB, "k1")).isEmpty();
    }

    @Test
    void reservationsLetOneFirstAttemptRun() {
        IdempotencyKeys keys = new IdempotencyKeys(db);
        assertThat(keys.reserve(tenantA, "k", "POST", "/v1/images", "h")).isInstanceOf(IdempotencyKeys.Reservation.Proceed.class);
        assertThat(keys.reserve(tenantA, "k", "POST", "/v1/images", "h")).isInstanceOf(IdempotencyKeys.Reservation.InProgress.class);
        assertThat(keys.reserve(tenantA, "k", "POST", "/v1/images", "other")).isInstanceOf(IdempotencyKeys.Reservation.Mismatch.class);
        keys.complete(tenantA, "k", 202, "{\"version\":1}");
        assertThat(keys.reserve(tenantA, "k", "POST", "/v1/images", "h"))
                .isInstanceOfSatisfying(IdempotencyKeys.Reservation.Replay.class,
                        r -> assertThat(r.stored().response()).isEqualTo("{\"version\":1}"));

        assertThat(keys.reserve(tenantA, "k2", "POST", "/v1/images", "h")).isInstanceOf(IdempotencyKeys.Reservation.Proceed.class);
        keys.release(tenantA, "k2");
        assertThat(keys.reserve(tenantA, "k2", "POST", "/v1/images", "h")).isInstanceOf(IdempotencyKeys.Reservation.Proceed.class);
        assertThat(keys.deleteOlderThan(Instant.now().plusSeconds(1))).isEqualTo(2);
    }
}
