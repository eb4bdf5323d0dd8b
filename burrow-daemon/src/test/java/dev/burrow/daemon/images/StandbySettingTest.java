package dev.burrow.daemon.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A version's {@code standby} setting: 0..MAX_STANDBY, inherited like the other build settings, 0 by default. */
class StandbySettingTest {

    @Test
    void aCountOutsideTheRangeIsRefusedNamingTheFieldAndTheRange() {
        assertThatThrownBy(() -> BuildSettings.NONE.withStandby(BuildSettings.MAX_STANDBY + 1))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("standby"))
                .hasMessageContaining("between 0 and " + BuildSettings.MAX_STANDBY);
        assertThatThrownBy(() -> BuildSettings.NONE.withStandby(-1)).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void aNewVersionInheritsTheCountUnlessItGivesOne() {
        BuildSettings previous = BuildSettings.NONE.withDefaults().withStandby(3);

        assertThat(BuildSettings.NONE.over(previous).standbyCount()).isEqualTo(3);
        assertThat(BuildSettings.NONE.withStandby(0).over(previous).standbyCount()).isZero();
        assertThat(BuildSettings.NONE.withDefaults().standbyCount()).isZero();
    }
}
