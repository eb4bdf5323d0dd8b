package dev.burrow.daemon.space;

import dev.burrow.daemon.space.internal.Allocation;
import dev.burrow.daemon.space.internal.Trees;
import dev.burrow.oci.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One look at the data directory: every entry the collector knows, its category, allocated bytes
 * and whether it is garbage. The disk is listed before the rows are read: a row is written
 * before its files (a version row before its directory), so a directory listed first whose row
 * is missing from rows read after it truly has none.
 */
final class Survey {

    /** An entry of the data directory; {@code upload} is the row to remove first when it is an upload's file. */
    record Item(Category category, Path path, long bytes, boolean garbage, UploadRow upload) {}

    /** The source a version built from an upload records ({@code path:uploads/<id>}, ImageService's form; a Dockerfile's context alike). */
    private static final Pattern UPLOAD_SOURCE = Pattern.compile("^(?:path|dockerfile):uploads/([A-Za-z0-9_-]+)(?:\\s.*)?$");

    private final Layout layout;
    private final SpaceSettings settings;
    final List<Item> items = new ArrayList<>();
    /** Directories to remove once emptied (orphan version directories, then image directories no row names). */
    final List<Path> emptied = new ArrayList<>();

    Survey(Layout layout, SpaceSettings settings) {
        this.layout = layout;
        this.settings = settings;
    }

    /** Surveys everything but the blobs (see {@link #blobs}). */
    void files(Referrers referrers, Instant now) throws IOException {
        List<Path> versionDirs = new ArrayList<>();
        Map<Path, String[]> imageDirs = new HashMap<>();
        List<Path> legacy = new ArrayList<>();
        for (Path tenantDir : Trees.children(layout.tenants())) {
            for (Path imageDir : Trees.children(tenantDir.resolve("images"))) {
                imageDirs.put(imageDir, new String[] {tenantDir.getFileName().toString(), imageDir.getFileName().toString()});
                versionDirs.addAll(Trees.children(imageDir));
            }
            Path store = tenantDir.resolve("blobs");
            if (Files.isDirectory(store, LinkOption.NOFOLLOW_LINKS)) {
                legacy.add(store);
            }
        }
        List<Path> uploadFiles = Trees.children(layout.uploads());
        List<Path> tmp = Trees.children(layout.tmp());
        List<Path> storeTmp = Trees.children(layout.storeTmp());
        List<Path> partial = Trees.children(layout.partial());
        List<Path> trash = Trees.children(layout.trash());
        List<Path> microvms = new ArrayList<>(Trees.children(layout.vms()));
        microvms.addAll(Trees.children(layout.suspended()));

        // the rows, read after the listing
        List<VersionRow> rows = referrers.versions();
        List<UploadRow> uploads = referrers.uploads();

        versions(versionDirs, rows);
        Set<String> images = new HashSet<>();
        rows.forEach(r -> images.add(r.tenant() + "/" + r.image()));
        imageDirs.forEach((dir, ti) -> {
            if (!images.contains(ti[0] + "/" + ti[1])) {
                emptied.add(dir);
            }
        });
        uploads(uploadFiles, uploads, rows, now);
        for (Path p : tmp) {
            add(Category.TEMPORARY, p, olderThan(p, now, settings.tmpAge()), null);
        }
        for (Path p : storeTmp) {
            add(Category.TEMPORARY, p, olderThan(p, now, settings.tmpAge()), null);
        }
        for (Path p : partial) {
            add(Category.TEMPORARY, p, olderThan(p, now, settings.partialAge()), null);
        }
        for (Path p : trash) {
            add(Category.TEMPORARY, p, true, null);
        }
        for (Path p : legacy) {
            add(Category.LEGACY_STORES, p, true, null);
        }
        for (Path p : microvms) {
            add(Category.MICROVMS, p, false, null);
        }
    }

    /**
     * Version directories: a building version's files are all in use; a template is kept while a
     * row runs from it (its own version's or one that reuses it) and so is the disk its qcow2
     * layers are backed by; a directory without a row goes but for such a template.
     */
    private void versions(List<Path> dirs, List<VersionRow> rows) throws IOException {
        Map<Path, VersionRow> byDir = new HashMap<>();
        Set<Path> templates = new HashSet<>();
        for (VersionRow r : rows) {
            byDir.put(r.dir(), r);
            if (r.templateDir() != null) {
                templates.add(r.templateDir());
            }
        }
        for (Path dir : dirs) {
            Path d = dir.toAbsolutePath().normalize();
            VersionRow row = byDir.get(d);
            boolean building = row != null && row.building();
            boolean templateUsed = building || templates.contains(d.resolve("template"));
            for (Path child : Trees.children(d)) {
                switch (child.getFileName().toString()) {
                    case "rootfs.ext4" -> add(Category.VERSION_DISKS, child, !templateUsed, null);
                    case "template" -> add(Category.TEMPLATES, child, !templateUsed, null);
                    case "build.log" -> add(Category.BUILD_LOGS, child, row == null, null);
                    case "staging", "source" -> add(Category.TEMPORARY, child, !building, null);
                    default -> add(Category.OTHER, child, row == null, null);
                }
            }
            if (row == null) {
                emptied.add(d);
            }
        }
    }

    /**
     * Uploads: garbage when expired, or consumed: a build was started from it (its row says so
     * even after that version is deleted) and every version built from it has finished. A build
     * still running keeps it, expired or not. A file without a row goes once it is older than an
     * upload in progress could be.
     */
    private void uploads(List<Path> files, List<UploadRow> uploads, List<VersionRow> rows, Instant now) throws IOException {
        Map<Path, UploadRow> byPath = new HashMap<>();
        uploads.forEach(u -> byPath.put(u.path(), u));
        Map<String, List<VersionRow>> users = new HashMap<>();
        for (VersionRow r : rows) {
            Matcher m = r.source() == null ? null : UPLOAD_SOURCE.matcher(r.source());
            if (m != null && m.matches()) {
                users.computeIfAbsent(r.tenant() + "/" + m.group(1), k -> new ArrayList<>()).add(r);
            }
        }
        for (Path f : files) {
            UploadRow u = byPath.get(f.toAbsolutePath().normalize());
            if (u == null) {
                add(Category.UPLOADS, f, olderThan(f, now, settings.orphanUploadAge()), null);
                continue;
            }
            List<VersionRow> built = users.getOrDefault(u.tenant() + "/" + u.id(), List.of());
            boolean inUse = built.stream().anyMatch(VersionRow::building);
            boolean consumed = (u.usedAt() != null || !built.isEmpty()) && !inUse;
            boolean expired = !u.expiresAt().isAfter(now);
            add(Category.UPLOADS, f, !inUse && (expired || consumed), u);
        }
    }

    /**
     * The blob store: a blob is kept when a version's image or a registered source names it
     * ({@code named}); of the rest, those {@code cache} named (before it forgot them) count as
     * build cache, the others as blobs. With {@code keepAll} (an image record could not be read)
     * nothing is garbage.
     */
    void blobs(Set<Digest> versions, Set<Digest> named, Set<Digest> cache, boolean keepAll) throws IOException {
        for (Path f : Trees.children(layout.blobs())) {
            Digest d;
            try {
                d = new Digest(f.getFileName().toString());
            } catch (IllegalArgumentException e) {
                add(Category.BLOBS, f, false, null); // not a blob this store wrote: left alone
                continue;
            }
            boolean kept = keepAll || versions.contains(d) || named.contains(d);
            Category c = versions.contains(d) || !cache.contains(d) ? Category.BLOBS : Category.BUILD_CACHE;
            add(c, f, !kept, null);
        }
    }

    private void add(Category c, Path p, boolean garbage, UploadRow upload) throws IOException {
        items.add(new Item(c, p, Allocation.ofTree(p), garbage, upload));
    }

    private static boolean olderThan(Path p, Instant now, Duration age) throws IOException {
        return Trees.newestModified(p).isBefore(now.minus(age));
    }

    /** Where things are under the data directory. */
    record Layout(Path dataDir, Path blobRoot) {
        Path tenants() {
            return dataDir.resolve("tenants");
        }

        Path uploads() {
            return dataDir.resolve("uploads");
        }

        Path tmp() {
            return dataDir.resolve("tmp");
        }

        Path trash() {
            return dataDir.resolve("trash");
        }

        Path vms() {
            return dataDir.resolve("vms");
        }

        Path suspended() {
            return dataDir.resolve("suspended");
        }

        Path blobs() {
            return blobRoot.resolve(Digest.ALGORITHM);
        }

        Path storeTmp() {
            return blobRoot.resolve("tmp");
        }

        Path partial() {
            return blobRoot.resolve("partial");
        }
    }
}
