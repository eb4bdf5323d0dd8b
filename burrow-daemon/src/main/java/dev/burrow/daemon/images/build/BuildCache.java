package dev.burrow.daemon.images.build;

import dev.burrow.daemon.images.BlobReferences;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Digest;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The layer cache of Dockerfile builds: a step's cache key (its parent chain, its text, its
 * inputs) to the layer it made. Per tenant: a RUN's output may hold a tenant's secret, so one
 * tenant's key never finds another's layer. Registered with the collector: every cached layer is
 * kept until a prune {@link #forget forgets} the cache.
 */
public final class BuildCache implements BlobReferences {

    /** One cached step: {@code layer} is its blob in the shared store (uncompressed, so {@code diffId} = {@code layer}). */
    public record Entry(String tenant, String key, Digest layer, Digest diffId, long size, Instant createdAt, Instant lastUsedAt) {
        public Entry {
            Objects.requireNonNull(tenant, "tenant");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(layer, "layer");
            Objects.requireNonNull(diffId, "diffId");
        }
    }

    /** Where entries live: SQLite in the daemon ({@code build_cache}), memory in tests. */
    public interface Table {
        Optional<Entry> find(String tenant, String key);

        /** Inserts or replaces the entry of (tenant, key). */
        void put(Entry e);

        void touch(String tenant, String key, Instant at);

        /** Every layer any entry names. */
        Set<Digest> layers();

        /** Removes every entry; returns how many went. */
        int clear();
    }

    private final Table table;
    private final BlobStore blobs;

    public BuildCache(Table table, BlobStore blobs) {
        this.table = Objects.requireNonNull(table, "table");
        this.blobs = Objects.requireNonNull(blobs, "blobs");
    }

    /** A cache in memory (tests, a daemon without a database). */
    public static Table inMemory() {
        return new MemoryTable();
    }

    /** The tenant's layer for {@code key}, when its blob is still in the store; a hit is marked used now. */
    public Optional<Entry> lookup(String tenant, String key) {
        Optional<Entry> e = table.find(tenant, key).filter(x -> blobs.contains(x.layer()));
        e.ifPresent(x -> table.touch(tenant, key, Instant.now()));
        return e;
    }

    /** Records the layer a step made (replacing an older entry for the same key). */
    public void record(String tenant, String key, Digest layer, long size) {
        Instant now = Instant.now();
        table.put(new Entry(tenant, key, layer, layer, size, now, now));
    }

    @Override
    public Set<Digest> referenced() throws IOException {
        return table.layers();
    }

    @Override
    public int forget() throws IOException {
        return table.clear();
    }

    private static final class MemoryTable implements Table {
        private final Map<String, Entry> rows = new ConcurrentHashMap<>();

        private static String id(String tenant, String key) {
            return tenant + "\0" + key;
        }

        @Override
        public Optional<Entry> find(String tenant, String key) {
            return Optional.ofNullable(rows.get(id(tenant, key)));
        }

        @Override
        public void put(Entry e) {
            rows.put(id(e.tenant(), e.key()), e);
        }

        @Override
        public void touch(String tenant, String key, Instant at) {
            rows.computeIfPresent(id(tenant, key), (k, e) -> new Entry(e.tenant(), e.key(), e.layer(), e.diffId(), e.size(), e.createdAt(), at));
        }

        @Override
        public Set<Digest> layers() {
            return rows.values().stream().map(Entry::layer).collect(Collectors.toUnmodifiableSet());
        }

        @Override
        public int clear() {
            int n = rows.size();
            rows.clear();
            return n;
        }
    }
}
