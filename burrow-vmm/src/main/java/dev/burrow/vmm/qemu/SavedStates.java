package dev.burrow.vmm.qemu;

import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.internal.Commands;
import dev.burrow.vmm.internal.Durable;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.qemu.internal.QcowImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The saved states of microVMs: {@code suspended/<vmId>/<savedId>/}, one directory each, complete
 * once its manifest ({@link Template#MANIFEST}) is durable and partial until then. A save's disk
 * is a qcow2 layer whose backing chain ends in the image template's disk; folding rebases it
 * straight onto that base, so it reads no other save and chains stay two layers deep however
 * many times a microVM is suspended (docs/adr/0011-suspend-tiers-and-chains.md).
 */
final class SavedStates {

    private static final Logger LOG = LoggerFactory.getLogger(SavedStates.class);
    /** Saved-state ids: decimal, increasing per microVM; the pattern also keeps them valid file names. */
    static final Pattern ID = Pattern.compile("[0-9]{1,19}");
    static final String DISK = "disk.qcow2";
    static final String OVERLAY = "overlay.qcow2";
    private static final String FOLDING = DISK + ".fold";
    /** The longest a fold (a rebase copying what the microVM changed) may take. */
    static final long FOLD_TIMEOUT_SECONDS = 600;
    /** The longest creating an empty overlay may take. */
    static final long OVERLAY_TIMEOUT_SECONDS = 30;

    private final Path root;
    private final Path vmsRoot;

    SavedStates(Path root, Path vmsRoot) {
        this.root = root;
        this.vmsRoot = vmsRoot;
    }

    Path of(String vmId) {
        return root.resolve(vmId);
    }

    /** A new, empty save directory for {@code vmId}, with an id above every one it has (durable). */
    Path allocate(String vmId) throws IOException {
        Path dir = of(vmId);
        Durable.createDirectories(dir);
        long next = System.currentTimeMillis();
        for (Path d : list(dir)) {
            next = Math.max(next, Long.parseLong(d.getFileName().toString()) + 1);
        }
        Path save = dir.resolve(Long.toString(next));
        Files.createDirectory(save);
        Durable.syncDirectory(dir);
        return save;
    }

    /** The complete saved state {@code savedId} of {@code vmId}, if there is one. */
    Optional<Template> find(String vmId, String savedId) {
        if (!ID.matcher(savedId).matches()) {
            return Optional.empty();
        }
        Path dir = of(vmId).resolve(savedId);
        if (!Files.exists(dir.resolve(Template.MANIFEST))) {
            return Optional.empty();
        }
        try {
            return Optional.of(Template.load(dir));
        } catch (IOException e) {
            LOG.warn("saved state {} of {} cannot be read: {}", savedId, vmId, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The microVM a template is a saved state of, or empty for an image template. Compared as real
     * paths: a caller may name the data directory through a symlink, and taking a fork for a
     * resume (or the reverse) would give the new disk the wrong backing.
     */
    Optional<String> owner(Template t) {
        Path parent = real(t.dir()).getParent();
        return parent != null && real(root).equals(parent.getParent()) ? Optional.of(parent.getFileName().toString()) : Optional.empty();
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    /** Makes a save unusable (a guest is about to move on from it): its manifest goes first, durably. */
    void invalidate(Path saveDir) throws IOException {
        Files.deleteIfExists(saveDir.resolve(Template.MANIFEST));
        Durable.syncDirectory(saveDir);
    }

    /** Removes one save directory; a missing one is fine. */
    void remove(Path saveDir) {
        FileTrees.deleteQuietly(saveDir);
        syncQuietly(saveDir.getParent());
    }

    /**
     * Removes every save of {@code vmId} but {@code keep} (null: none) and the saves the live disk
     * or {@code keep} read from. A live disk left inside a partial save (an engine that moved it
     * there and crashed) is put back first. When a chain cannot be read, only partial saves go.
     * With no VMM alive, {@code keep} is folded first (a suspend cut short before its fold, or a
     * kept VMM ended without it), so the saves it read from can go too.
     */
    void discard(String vmId, String keep, boolean vmmAlive) {
        Path dir = of(vmId);
        if (!Files.isDirectory(dir)) {
            return;
        }
        Path liveDir = vmsRoot.resolve(vmId);
        Path liveDisk = liveDir.resolve(DISK);
        try {
            putBackLiveDisk(dir, liveDir, liveDisk);
        } catch (IOException e) {
            LOG.warn("{}: could not put its disk back from a partial save: {}", vmId, e.toString());
            return; // deleting anything now could delete the disk a VMM reads
        }
        Set<Path> needed = new HashSet<>();
        boolean chainsKnown = true;
        try {
            if (keep != null && ID.matcher(keep).matches()) {
                Path k = dir.resolve(keep);
                if (!vmmAlive) {
                    find(vmId, keep).ifPresent(this::foldQuietly);
                }
                needed.add(k);
                if (Files.exists(k.resolve(DISK))) {
                    needed.addAll(savesIn(QcowImages.chain(k.resolve(DISK))));
                }
            }
            if (Files.exists(liveDisk)) {
                needed.addAll(savesIn(QcowImages.chain(liveDisk)));
            }
        } catch (IOException e) {
            LOG.warn("{}: cannot read a disk chain, keeping every complete save: {}", vmId, e.toString());
            chainsKnown = false;
        }
        try {
            List<Path> all;
            try (var entries = Files.list(dir)) {
                all = entries.toList();
            }
            for (Path d : all) {
                boolean complete = Files.exists(d.resolve(Template.MANIFEST));
                if (!needed.contains(d) && (chainsKnown || !complete)) {
                    FileTrees.delete(d);
                }
            }
            Durable.syncDirectory(dir);
            if (keep == null && all.stream().allMatch(d -> !Files.exists(d))) {
                Files.deleteIfExists(dir);
                Durable.syncDirectory(root);
            }
        } catch (NoSuchFileException e) {
            // removed meanwhile
        } catch (IOException e) {
            LOG.warn("{}: discarding saved states: {}", vmId, e.toString());
        }
    }

    /**
     * Before a VMM found stopped runs again: its disk is put back if a partial save holds it, and
     * every complete save sharing that disk (same inode) loses its manifest, since it stops being
     * a true picture of the guest the moment the guest runs.
     */
    void releaseLiveDisk(String vmId) throws IOException {
        Path liveDir = vmsRoot.resolve(vmId);
        Path liveDisk = liveDir.resolve(DISK);
        putBackLiveDisk(of(vmId), liveDir, liveDisk);
        if (!Files.exists(liveDisk)) {
            return;
        }
        Object live = Files.readAttributes(liveDisk, BasicFileAttributes.class).fileKey();
        for (Path d : list(of(vmId))) {
            Path disk = d.resolve(DISK);
            if (Files.exists(d.resolve(Template.MANIFEST)) && Files.exists(disk)
                    && live.equals(Files.readAttributes(disk, BasicFileAttributes.class).fileKey())) {
                invalidate(d);
                LOG.info("{}: saved state {} shares the disk of a VMM that runs again; it is no longer usable", vmId, d.getFileName());
            }
        }
    }

    private static void putBackLiveDisk(Path dir, Path liveDir, Path liveDisk) throws IOException {
        if (!Files.isDirectory(liveDir) || Files.exists(liveDisk)) {
            return;
        }
        for (Path d : list(dir)) {
            Path disk = d.resolve(DISK);
            if (!Files.exists(d.resolve(Template.MANIFEST)) && Files.exists(disk)) {
                Files.move(disk, liveDisk, StandardCopyOption.ATOMIC_MOVE);
                Durable.syncDirectory(liveDir);
                Durable.syncDirectory(d);
                LOG.info("put the disk of {} back from the partial save {}", liveDir.getFileName(), d.getFileName());
                return;
            }
        }
    }

    /** The save directories among the files of a backing chain. */
    private Set<Path> savesIn(List<Path> chain) {
        Set<Path> out = new HashSet<>();
        for (Path p : chain) {
            if (p.startsWith(root) && p.getParent() != null) {
                out.add(p.getParent());
            }
        }
        return out;
    }

    /** Beside a disk: the backing file the engine gave it, written before any VMM could open the disk. */
    static final String BACKING_RECORD = "disk.backing";

    /** Records the backing file {@code disk}'s header names now, while only the engine has written it, in {@code recordDir}. */
    static void recordBacking(Path disk, Path recordDir) throws IOException {
        String backing = QcowImages.header(disk).backing().map(Path::toString).orElse("");
        Files.writeString(recordDir.resolve(BACKING_RECORD), backing);
    }

    /**
     * Checks that {@code disk}'s header still names the backing file recorded in {@code recordDir}.
     * A VMM writes its own disk, header included: one taken over through its guest could point it
     * at any file, which a later jail would bind (and share) and a fold would write through. Call
     * it once no VMM can write {@code disk} any more, before the chain is followed. A disk without
     * a record (made by an older engine) passes.
     */
    static void checkBacking(Path disk, Path recordDir) throws VmmException {
        Path record = recordDir.resolve(BACKING_RECORD);
        try {
            if (!Files.exists(record)) {
                return;
            }
            String expected = Files.readString(record);
            String actual = QcowImages.header(disk).backing().map(Path::toString).orElse("");
            // a fold rebases onto a deeper link of the same (trusted) chain, and a crash may come
            // between its rename and the new record: any link below the recorded one is the engine's
            if (actual.equals(expected)) {
                return;
            }
            boolean deeper = !expected.isEmpty() && !actual.isEmpty() && QcowImages.isQcow2(Path.of(expected))
                    && QcowImages.chain(Path.of(expected)).contains(Path.of(actual));
            if (!deeper) {
                throw new VmmException("the disk " + disk.getFileName() + " of " + recordDir.getFileName()
                        + " names a backing file its engine did not give it (its VMM rewrote the header): it is not used");
            }
        } catch (IOException e) {
            throw new VmmException("cannot check the backing file of " + disk + ": " + e.getMessage(), e);
        }
    }

    /**
     * Rebases a save's disk onto its image template's disk, so it reads no other save. The rebase
     * runs on a copy (O(what this layer holds)) that replaces the disk by a rename: a crash at any
     * point leaves the old layer or the folded one, both whole. Only when no VMM has the disk open.
     */
    void fold(Template t) throws VmmException {
        Path disk = t.disk();
        checkBacking(disk, t.dir());
        try {
            List<Path> chain = QcowImages.chain(disk);
            Optional<Path> base = chain.stream().filter(p -> !p.startsWith(root)).findFirst();
            if (chain.isEmpty() || base.isEmpty() || chain.getFirst().equals(base.get())) {
                return;
            }
            Path tmp = disk.resolveSibling(FOLDING);
            Files.copy(disk, tmp, StandardCopyOption.REPLACE_EXISTING);
            rebase(tmp, base.get());
            Durable.sync(tmp);
            Files.move(tmp, disk, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (Files.exists(t.dir().resolve(BACKING_RECORD))) {
                recordBacking(disk, t.dir()); // the engine rebased it: its new backing is the engine's
            }
            Durable.syncDirectory(disk.getParent());
        } catch (IOException e) {
            throw new VmmException("folding the disk of saved state " + t.dir() + " failed: " + e.getMessage(), e);
        }
    }

    /** Folds, logging instead of failing: an unfolded save is whole, only its chain is one layer longer. */
    void foldQuietly(Template t) {
        if (!Files.exists(t.dir().resolve(Template.MANIFEST))) {
            return; // consumed or discarded meanwhile: nothing to keep short
        }
        try {
            fold(t);
        } catch (VmmException e) {
            LOG.warn("{}", e.getMessage());
        }
    }

    /**
     * A disk for a new microVM made from another microVM's save (a fork): a copy of the save's
     * layer rebased onto the image template's disk, so it reads nothing the source may discard.
     * O(what the source changed), not O(disk size).
     */
    void forkDisk(Template t, Path target) throws VmmException {
        try {
            Files.copy(t.disk(), target);
            checkBacking(target, t.dir()); // the copy: a kept VMM may still write the original
            List<Path> chain = QcowImages.chain(target);
            Optional<Path> base = chain.stream().filter(p -> !p.startsWith(root)).findFirst();
            if (base.isEmpty()) {
                throw new VmmException("saved state " + t.dir() + " has a disk without an image template underneath");
            }
            if (!chain.getFirst().equals(base.get())) {
                rebase(target, base.get());
            }
        } catch (IOException e) {
            throw new VmmException("copying the disk of saved state " + t.dir() + " failed: " + e.getMessage(), e);
        }
    }

    /** An empty overlay on a save's disk, made without opening the disk (a stopped VMM still holds its lock). */
    static void createOverlay(Path disk, Path overlay) throws VmmException {
        try {
            long size = QcowImages.header(disk).virtualSize();
            Commands.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-u", "-b", disk.toString(),
                    overlay.toString(), Long.toString(size)), OVERLAY_TIMEOUT_SECONDS);
            Durable.sync(overlay);
        } catch (IOException e) {
            throw new VmmException("creating an overlay on " + disk + " failed: " + e.getMessage(), e);
        }
    }

    private static void rebase(Path image, Path base) throws IOException, VmmException {
        String format = QcowImages.isQcow2(base) ? "qcow2" : "raw";
        // safe mode: copies into the image every cluster the dropped layers held, nothing else
        Commands.run(List.of("qemu-img", "rebase", "-q", "-f", "qcow2", "-F", format, "-b", base.toString(), image.toString()),
                FOLD_TIMEOUT_SECONDS);
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var s = Files.list(dir)) {
            return s.filter(d -> ID.matcher(d.getFileName().toString()).matches()).toList();
        }
    }

    private static void syncQuietly(Path dir) {
        try {
            Durable.syncDirectory(dir);
        } catch (IOException e) {
            LOG.debug("fsync of {}: {}", dir, e.toString());
        }
    }
}
