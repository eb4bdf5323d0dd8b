package dev.burrow.daemon.space;

import dev.burrow.daemon.images.BlobReferences;
import dev.burrow.daemon.images.ImageRecord;
import dev.burrow.daemon.images.VersionState;
import dev.burrow.daemon.space.internal.Allocation;
import dev.burrow.daemon.space.internal.ManifestBlobs;
import dev.burrow.daemon.space.internal.Trash;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data directory's space: {@link #df()} says what its bytes are and what a prune would free;
 * {@link #prune()} frees it. Garbage is what no row and no registered {@link BlobReferences}
 * needs: blobs no version's image (other than a FAILED one's) names, version directories without a
 * row, templates and disks no row runs from, uploads expired or consumed by finished builds, old
 * temporary files, the per-tenant stores of older data directories. Deleting goes through a
 * {@link Trash}; the blobs of builds still resolving are kept off by the {@link BuildGate}.
 */
public final class SpaceService {
    private static final Logger LOG = LoggerFactory.getLogger(SpaceService.class);

    private final Path dataDir;
    private final BlobStore store;
    private final Referrers referrers;
    private final SpaceSettings settings;
    private final Clock clock;
    private final Survey.Layout layout;
    private final Trash trash;
    private final BuildGate gate = new BuildGate();
    private final List<BlobReferences> references = new CopyOnWriteArrayList<>();

    public SpaceService(Path dataDir, BlobStore store, Referrers referrers, SpaceSettings settings, Clock clock) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.store = store;
        this.referrers = referrers;
        this.settings = settings;
        this.clock = clock;
        this.layout = new Survey.Layout(this.dataDir, store.root().toAbsolutePath().normalize());
        this.trash = new Trash(this.dataDir.resolve("trash"));
    }

    /** Blobs something else needs (the build cache registers one): a prune keeps what it names after {@link BlobReferences#forget()}. */
    public void register(BlobReferences refs) {
        references.add(refs);
    }

    /** What builds hold while they resolve their image (see {@link BuildGate}). */
    public BuildGate gate() {
        return gate;
    }

    /** What the data directory holds, by category, and what a prune would free now. */
    public SpaceReport df() throws IOException {
        Survey s = new Survey(layout, settings);
        s.files(referrers, clock.instant());
        Set<Digest> named = named();
        Optional<Set<Digest>> versions = versionBlobs();
        // a df does not make the cache forget: what only the cache names counts as reclaimable
        s.blobs(versions.orElse(Set.of()), Set.of(), named, versions.isEmpty());
        Map<Category, Usage> usage = new EnumMap<>(Category.class);
        for (Category c : Category.values()) {
            usage.put(c, Usage.NONE);
        }
        long categorized = 0;
        for (Survey.Item i : s.items) {
            usage.merge(i.category(), Usage.NONE.plus(i.bytes(), i.garbage()), SpaceService::sum);
            categorized += i.bytes();
        }
        long total = Allocation.ofTree(dataDir);
        // what no category lists (the database, logs, directories themselves) is "other"
        Usage other = usage.get(Category.OTHER);
        long rest = Math.max(0, total - categorized);
        usage.put(Category.OTHER, new Usage(other.count(), other.bytes() + rest, other.reclaimableCount(), other.reclaimableBytes()));
        long reclaimable = usage.values().stream().mapToLong(Usage::reclaimableBytes).sum();
        return new SpaceReport(usage, Math.max(total, categorized), reclaimable);
    }

    /** Frees every garbage entry; one prune at a time. */
    public synchronized PruneReport prune() throws IOException {
        trash.empty(); // what a crashed prune left half-deleted
        Map<Category, PruneReport.Freed> freed = new EnumMap<>(Category.class);
        List<String> deferred = new ArrayList<>();
        Survey files = new Survey(layout, settings);
        files.files(referrers, clock.instant());
        delete(files, freed);
        int forgotten = 0;
        if (gate.tryExclusive()) {
            try {
                Set<Digest> cache = named();
                for (BlobReferences r : references) {
                    forgotten += r.forget();
                }
                Survey blobs = new Survey(layout, settings);
                Optional<Set<Digest>> versions = versionBlobs();
                if (versions.isEmpty()) {
                    deferred.add("blobs: an image record could not be read (see the daemon log); no blob was deleted");
                }
                blobs.blobs(versions.orElse(Set.of()), named(), cache, versions.isEmpty());
                delete(blobs, freed);
            } finally {
                gate.releaseExclusive();
            }
        } else {
            deferred.add("blobs: " + gate.resolvingNow() + " build(s) were resolving their image; prune again once they have");
        }
        trash.empty();
        try {
            referrers.compact();
        } catch (RuntimeException e) {
            LOG.warn("the database could not be compacted after the prune: {}", e.getMessage());
        }
        long count = freed.values().stream().mapToLong(PruneReport.Freed::count).sum();
        long bytes = freed.values().stream().mapToLong(PruneReport.Freed::bytes).sum();
        for (Category c : Category.values()) {
            freed.putIfAbsent(c, PruneReport.Freed.NONE);
        }
        PruneReport report = new PruneReport(freed, count, bytes, forgotten, deferred);
        LOG.info("prune freed {} entries, {} bytes{}", count, bytes, deferred.isEmpty() ? "" : "; deferred: " + deferred);
        return report;
    }

    private void delete(Survey s, Map<Category, PruneReport.Freed> freed) throws IOException {
        for (Survey.Item i : s.items) {
            if (!i.garbage()) {
                continue;
            }
            if (i.upload() != null) {
                referrers.forgetUpload(i.upload()); // the row first: no build can pick up a file about to go
            }
            if (trash.discard(i.path())) {
                freed.merge(i.category(), PruneReport.Freed.NONE.plus(i.bytes()), SpaceService::sum);
            }
        }
        for (Path dir : s.emptied) {
            try {
                Files.deleteIfExists(dir);
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                // something in it is still needed (a reused template), or a new version arrived
            }
        }
    }

    /** Every blob registered sources name now. */
    private Set<Digest> named() throws IOException {
        Set<Digest> out = new HashSet<>();
        for (BlobReferences r : references) {
            out.addAll(r.referenced());
        }
        return out;
    }

    /** The blobs every version's image needs (a FAILED version needs none); empty when a record cannot be read. */
    private Optional<Set<Digest>> versionBlobs() {
        Set<Digest> out = new HashSet<>();
        ManifestBlobs walker = new ManifestBlobs(store, settings.maxManifestBytes(), settings.maxManifests());
        for (VersionRow r : referrers.versions()) {
            if (r.state() == VersionState.FAILED) {
                continue;
            }
            try {
                Optional<Descriptor> record = ImageRecord.read(r.dir());
                if (record.isPresent()) {
                    walker.collect(record.get().digest(), out);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("the image record of {}:{} (tenant {}) cannot be read, so every blob is kept: {}", r.image(), r.version(),
                        r.tenant(), e.getMessage());
                return Optional.empty();
            }
        }
        return Optional.of(out);
    }

    private static Usage sum(Usage a, Usage b) {
        return new Usage(a.count() + b.count(), a.bytes() + b.bytes(), a.reclaimableCount() + b.reclaimableCount(),
                a.reclaimableBytes() + b.reclaimableBytes());
    }

    private static PruneReport.Freed sum(PruneReport.Freed a, PruneReport.Freed b) {
        return new PruneReport.Freed(a.count() + b.count(), a.bytes() + b.bytes());
    }
}
