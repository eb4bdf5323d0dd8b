package dev.burrow.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.internal.Commands;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VMM writes its own disk, header included: the backing file the engine gave a disk is recorded
 * when the engine makes it and checked before anything follows the chain again (a jail's binds, a
 * fold, a fork), so a VMM taken over through its guest cannot point a later jail at another file.
 */
@Tag("security")
class BackingRecordTest {

    @TempDir
    Path tmp;

    @Test
    void aDiskWhoseHeaderStillNamesItsRecordedBackingPasses() throws Exception {
        Path disk = overlayOn(raw("base.raw"));
        SavedStates.recordBacking(disk, tmp);
        SavedStates.checkBacking(disk, tmp); // no throw
        assertThat(Files.readString(tmp.resolve(SavedStates.BACKING_RECORD))).isEqualTo(tmp.resolve("base.raw").toString());
    }

    @Test
    void aDiskWhoseVmmPointedItsHeaderAtAnotherFileIsRefused() throws Exception {
        Path disk = overlayOn(raw("base.raw"));
        SavedStates.recordBacking(disk, tmp);
        Path secret = Files.writeString(tmp.resolve("admin.key"), "bk_secret\n");
        // what a taken-over QEMU can do to its own disk: rewrite the backing name in the header
        Commands.run(List.of("qemu-img", "rebase", "-q", "-u", "-f", "qcow2", "-F", "raw", "-b", secret.toString(), disk.toString()), 30);

        assertThatThrownBy(() -> SavedStates.checkBacking(disk, tmp)).isInstanceOf(VmmException.class)
                .hasMessageContaining("names a backing file its engine did not give it");
    }

    @Test
    void aDiskRebasedOntoADeeperLinkOfItsRecordedChainPassesAsAFoldLeavesIt() throws Exception {
        Path base = raw("base.raw");
        Path middle = tmp.resolve("middle.qcow2");
        Commands.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", base.toString(), middle.toString()), 30);
        Path disk = tmp.resolve("top.qcow2");
        Commands.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", middle.toString(), disk.toString()), 30);
        SavedStates.recordBacking(disk, tmp);
        Commands.run(List.of("qemu-img", "rebase", "-q", "-u", "-f", "qcow2", "-F", "raw", "-b", base.toString(), disk.toString()), 30);

        SavedStates.checkBacking(disk, tmp); // no throw: the engine's fold, record not yet rewritten (a crash)
    }

    @Test
    void aDiskMadeBeforeRecordsExistedPasses() throws Exception {
        Path disk = overlayOn(raw("base.raw"));
        SavedStates.checkBacking(disk, tmp); // no record: an older engine's save
    }

    private Path raw(String name) throws Exception {
        Path p = tmp.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        return p;
    }

    private Path overlayOn(Path base) throws Exception {
        Path disk = tmp.resolve("disk.qcow2");
        Commands.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", base.toString(), disk.toString()), 30);
        return disk;
    }
}
