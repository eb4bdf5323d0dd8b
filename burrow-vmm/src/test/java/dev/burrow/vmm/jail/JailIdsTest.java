package dev.burrow.vmm.jail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JailIdsTest {

    @TempDir
    Path vms;

    @Test
    void anInstanceGetsOneBlockAboveTheFirstBaseAndTwoInstancesMostlyDiffer() {
        JailIds a = JailIds.forInstance("a1b2c3d4e5f6");
        JailIds b = JailIds.forInstance("0f9e8d7c6b5a");
        assertThat(a.group()).isGreaterThanOrEqualTo(JailIds.FIRST_BASE);
        assertThat((a.group() - JailIds.FIRST_BASE) % JailIds.SLOTS).isZero();
        assertThat(a.group()).isLessThan(JailIds.FIRST_BASE + (long) JailIds.BLOCKS * JailIds.SLOTS);
        assertThat(JailIds.forInstance("a1b2c3d4e5f6").group()).isEqualTo(a.group());
        assertThat(b.group()).isNotEqualTo(a.group());
        assertThat(a.group() + JailIds.SLOTS - 1).isLessThan(Integer.MAX_VALUE);
    }

    @Test
    void eachMicroVmGetsTheLowestFreeSlotAndKeepsItUntilItsDirectoryGoes() throws Exception {
        JailIds ids = JailIds.forInstance("a1b2c3d4e5f6");
        Path one = Files.createDirectory(vms.resolve("one"));
        Path two = Files.createDirectory(vms.resolve("two"));
        Path three = Files.createDirectory(vms.resolve("three"));

        JailIds.Ids first = ids.allocate(vms, one);
        JailIds.Ids second = ids.allocate(vms, two);
        assertThat(first.slot()).isEqualTo(1);
        assertThat(second.slot()).isEqualTo(2);
        assertThat(first.uid()).isEqualTo(ids.group() + 1).isEqualTo(first.gid());
        assertThat(first.group()).isEqualTo(ids.group());
        assertThat(ids.allocate(vms, one)).isEqualTo(first);
        assertThat(ids.recorded(two)).contains(second);

        Files.delete(one.resolve(JailIds.SLOT_FILE));
        Files.delete(one);
        assertThat(ids.allocate(vms, three).slot()).isEqualTo(1);
    }

    @Test
    void aDamagedSlotFileRecordsNothing() throws Exception {
        JailIds ids = JailIds.forInstance("a1b2c3d4e5f6");
        Path d = Files.createDirectory(vms.resolve("d"));
        Files.writeString(d.resolve(JailIds.SLOT_FILE), "0\n");
        assertThat(ids.recorded(d)).isEmpty();
        Files.writeString(d.resolve(JailIds.SLOT_FILE), "x");
        assertThat(ids.recorded(d)).isEmpty();
        Files.writeString(d.resolve(JailIds.SLOT_FILE), Integer.toString(JailIds.SLOTS));
        assertThat(ids.recorded(d)).isEmpty();
    }
}
