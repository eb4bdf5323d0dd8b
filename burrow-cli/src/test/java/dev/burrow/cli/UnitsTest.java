package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.cli.internal.Units;
import org.junit.jupiter.api.Test;

class UnitsTest {
    @Test
    void sizesAreMiB() {
        assertThat(Units.parseMiB("512M")).isEqualTo(512);
        assertThat(Units.parseMiB("2G")).isEqualTo(2048);
        assertThat(Units.parseMiB("2g")).isEqualTo(2048);
        assertThat(Units.parseMiB("1GiB")).isEqualTo(1024);
        assertThat(Units.parseMiB("768")).isEqualTo(768);
    }

    @Test
    void durationsAreSeconds() {
        assertThat(Units.parseSeconds("300s")).isEqualTo(300);
        assertThat(Units.parseSeconds("5m")).isEqualTo(300);
        assertThat(Units.parseSeconds("1h")).isEqualTo(3600);
        assertThat(Units.parseSeconds("45")).isEqualTo(45);
    }

    @Test
    void badInputIsAClearError() {
        assertThatThrownBy(() -> Units.parseMiB("lots")).hasMessageContaining("invalid size 'lots'").hasMessageContaining("512M");
        assertThatThrownBy(() -> Units.parseMiB("1.5G")).hasMessageContaining("invalid size");
        assertThatThrownBy(() -> Units.parseMiB("-1M")).hasMessageContaining("invalid size");
        assertThatThrownBy(() -> Units.parseMiB("2T")).hasMessageContaining("invalid size");
        assertThatThrownBy(() -> Units.parseSeconds("5 minutes")).hasMessageContaining("invalid duration");
        assertThatThrownBy(() -> Units.parseSeconds("")).hasMessageContaining("invalid duration");
        assertThatThrownBy(() -> Units.parseSeconds("99999999999999999999s")).hasMessageContaining("too large");
    }
}
