package dev.burrow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ProcStatTest {

    @Test
    void userAndSystemTicksAreAddedFromFieldsFourteenAndFifteen() {
        String line = "4242 (qemu-system-x86) S 1 4242 4242 0 -1 4194560 900 0 3 0 1234 567 0 0 20 0 3 0 100 0 0";
        assertEquals(1234 + 567, ProcStat.cpuTicks(line));
    }

    @Test
    void aCommandNameWithSpacesAndParenthesesDoesNotShiftTheFields() {
        String line = "7 (a b) (c)) R 1 7 7 0 -1 0 0 0 0 0 40 2 0 0 20 0 1 0 5 0 0";
        assertEquals(42, ProcStat.cpuTicks(line));
    }

    @Test
    void aTruncatedLineIsRefusedRatherThanMisread() {
        assertThrows(IllegalArgumentException.class, () -> ProcStat.cpuTicks("7 (x) S 1 7 7"));
    }
}
