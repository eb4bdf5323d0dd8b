package dev.burrow.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.Accelerator;
import dev.burrow.vmm.HostProfile;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.internal.Commands;
import dev.burrow.vmm.qemu.internal.QcowImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saved-state bookkeeping on real qcow2 files made by qemu-img (no VMM): ids, chains, discard, fold, fork disks. */
class SavedStatesTest {

    private static final String VM = "vm1";

    @TempDir
    Path data;
    private Path base;
    private SavedStates saves;

    @BeforeEach
    void image() throws Exception {
        Path raw = data.resolve("templates/img/rootfs.raw");
        Files.createDirectories(raw.getParent());
        qemuImg("create", "-q", "-f", "raw", raw.toString(), "64M");
        base = raw.resolveSibling("disk.qcow2");
        qemuImg("create", "-q", "-f", "qcow2", "-F", "raw", "-b", raw.toString(), base.toString());
        saves = new SavedStates(data.resolve("suspended"), data.resolve("vms"));
    }

    private static void qemuImg(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("qemu-img"));
        argv.addAll(List.of(args));
        Commands.run(argv, 30);
    }

    private static void write(Path image, int pattern, String offset) throws Exception {
        Commands.run(List.of("qemu-io", "-f", "qcow2", "-c", "write -q -P " + pattern + " " + offset + " 1M", image.toString()), 30);
    }

    private static boolean sameContent(Path a, Path b) throws Exception {
        try {
            Commands.run(List.of("qemu-img", "compare", "-q", "-f", "qcow2", "-F", "qcow2", a.toString(), b.toString()), 30);
            return true;
        } catch (VmmException e) {
            return false;
        }
    }

    /** A complete save whose disk is a new layer on {@code backing}, holding one written MiB. */
    private Template save(Path backing, int pattern) throws Exception {
        Path dir = saves.allocate(VM);
        Path disk = dir.resolve(SavedStates.DISK);
        qemuImg("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", backing.toString(), disk.toString());
        write(disk, pattern, pattern + "M");
        SavedStates.createOverlay(disk, dir.resolve(SavedStates.OVERLAY));
        Template t = new Template(dir.getFileName().toString(), MachineSpec.DEFAULT,
                new HostProfile("qemu", "7.2", "microvm", "max", Accelerator.TCG, "k", 2), Instant.now(),
                "/nowhere/memory", "state", SavedStates.DISK, SavedStates.OVERLAY, "delta", "delta.idx", dir);
        t.save();
        return t;
    }

    private List<String> ids() throws Exception {
        try (var s = Files.list(saves.of(VM))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void savedStateIdsIncreaseAndAreFileNames() throws Exception {
        long previous = -1;
        for (int i = 0; i < 5; i++) {
            String id = saves.allocate(VM).getFileName().toString();
            assertThat(id).matches(SavedStates.ID);
            assertThat(Long.parseLong(id)).isGreaterThan(previous);
            previous = Long.parseLong(id);
        }
    }

    @Test
    void discardKeepsWhatTheLiveDiskReadsAndRemovesPartialAndUnreadSaves() throws Exception {
        Template first = save(base, 1);
        Template second = save(first.disk(), 2);
        Template unread = save(base, 3);
        Path partial = saves.allocate(VM);
        Files.writeString(partial.resolve("state"), "half");
        Path live = data.resolve("vms").resolve(VM).resolve(SavedStates.DISK);
        Files.createDirectories(live.getParent());
        qemuImg("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", second.disk().toString(), live.toString());

        saves.discard(VM, null, true);

        assertThat(ids()).containsExactly(first.id(), second.id());
        assertThat(unread.dir()).doesNotExist();
    }

    @Test
    void discardWithNoVmmFoldsTheKeptSaveSoTheSavesItReadGoAndItsContentStays() throws Exception {
        Template first = save(base, 1);
        Template second = save(first.disk(), 2);
        Path reference = data.resolve("reference.qcow2");
        qemuImg("convert", "-f", "qcow2", "-O", "qcow2", second.disk().toString(), reference.toString());

        saves.discard(VM, second.id(), false);

        assertThat(ids()).containsExactly(second.id());
        assertThat(QcowImages.chain(second.disk())).first().isEqualTo(base);
        assertThat(sameContent(second.disk(), reference)).isTrue();
        assertThat(sameContent(second.dir().resolve(SavedStates.OVERLAY), reference)).as("the overlay on the folded disk").isTrue();
    }

    @Test
    void aFoldCutShortLeavesTheSaveWholeAndTheNextFoldCompletes() throws Exception {
        Template first = save(base, 1);
        Template second = save(first.disk(), 2);
        Path reference = data.resolve("reference.qcow2");
        qemuImg("convert", "-f", "qcow2", "-O", "qcow2", second.disk().toString(), reference.toString());
        // a kill -9 mid-fold: the copy being rebased is half written, the disk untouched
        Files.write(second.dir().resolve(SavedStates.DISK + ".fold"), new byte[12345]);

        assertThat(sameContent(second.disk(), reference)).isTrue();
        saves.fold(second);

        assertThat(QcowImages.chain(second.disk())).first().isEqualTo(base);
        assertThat(sameContent(second.disk(), reference)).isTrue();
    }

    @Test
    void aLiveDiskLeftInAPartialSaveIsPutBackNotDeleted() throws Exception {
        Path partial = saves.allocate(VM);
        qemuImg("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base.toString(), partial.resolve(SavedStates.DISK).toString());
        Files.createDirectories(data.resolve("vms").resolve(VM));

        saves.discard(VM, null, true);

        assertThat(data.resolve("vms").resolve(VM).resolve(SavedStates.DISK)).exists();
        assertThat(saves.of(VM)).doesNotExist();
    }

    @Test
    void aForkDiskReadsOnlyTheImageTemplateAndHoldsEverythingTheSourceWrote() throws Exception {
        Template first = save(base, 1);
        Template second = save(first.disk(), 2);
        Path fork = data.resolve("vms/vm2").resolve(SavedStates.DISK);
        Files.createDirectories(fork.getParent());

        saves.forkDisk(second, fork);
        boolean same = sameContent(fork, second.disk());
        saves.discard(VM, null, false);

        assertThat(same).isTrue();
        assertThat(QcowImages.chain(fork)).first().isEqualTo(base);
        assertThat(saves.of(VM)).doesNotExist();
        assertThat(QcowImages.header(fork).virtualSize()).isEqualTo(64L << 20);
    }
}
