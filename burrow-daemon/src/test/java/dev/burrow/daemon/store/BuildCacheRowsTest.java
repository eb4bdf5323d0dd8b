package dev.burrow.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.images.build.BuildCache;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildCacheRowsTest {
    @TempDir
    Path dir;
    Database db;
    String tenantA;
    String tenantB;
    BlobStore blobs;
    BuildCache cache;

    @BeforeEach
    void setUp() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        tenantA = new Tenants(db).create("a", null).orElseThrow().id();
        tenantB = new Tenants(db).create("b", null).orElseThrow().id();
        blobs = new BlobStore(Files.createDirectories(dir.resolve("blobs")));
        cache = new BuildCache(new BuildCacheRows(db), blobs);
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void aRecordedLayerIsFoundByItsTenantOnly() throws Exception {
        Digest layer = blobs.put("layer".getBytes(StandardCharsets.UTF_8));
        cache.record(tenantA, "k1", layer, 5);
        assertThat(cache.lookup(tenantA, "k1")).hasValueSatisfying(e -> {
            assertThat(e.layer()).isEqualTo(layer);
            assertThat(e.diffId()).isEqualTo(layer);
            assertThat(e.size()).isEqualTo(5);
        });
        assertThat(cache.lookup(tenantB, "k1")).isEmpty();
        assertThat(cache.referenced()).containsExactly(layer);
    }

    @Test
    void aHitIsMarkedUsedAndAMissingBlobIsNoHit() throws Exception {
        BuildCacheRows rows = new BuildCacheRows(db);
        Digest layer = blobs.put("x".getBytes(StandardCharsets.UTF_8));
        Instant old = Instant.parse("2020-01-01T00:00:00Z");
        rows.put(new BuildCache.Entry(tenantA, "k", layer, layer, 1, old, old));
        cache.lookup(tenantA, "k");
        assertThat(rows.find(tenantA, "k").orElseThrow().lastUsedAt()).isAfter(old);
        rows.put(new BuildCache.Entry(tenantA, "gone", new Digest("0".repeat(64)), new Digest("0".repeat(64)), 1, old, old));
        assertThat(cache.lookup(tenantA, "gone")).isEmpty();
    }

    @Test
    void forgettingEmptiesTheCacheAndADeletedTenantsRowsGo() throws Exception {
        Digest layer = blobs.put("y".getBytes(StandardCharsets.UTF_8));
        cache.record(tenantA, "k", layer, 1);
        cache.record(tenantB, "k", layer, 1);
        new Tenants(db).delete(tenantB);
        assertThat(cache.lookup(tenantB, "k")).isEmpty();
        assertThat(cache.forget()).isEqualTo(1);
        assertThat(cache.referenced()).isEmpty();
    }
}
