package dev.burrow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VsTableTest {

    private static Stats of(double... ms) {
        Stats s = new Stats();
        for (double v : ms) {
            s.add(v);
        }
        return s;
    }

    @Test
    void eachSystemGetsOneRowWithItsP50P90MinAndCountInTheOrderAdded() {
        VsTable t = new VsTable().add("runc", "run + exec", of(80, 70, 90, 75, 200))
                .add("Burrow", "POST + exec", of(300, 360, 420));

        assertThat(t.table().lines()).containsExactly(
                "| system | start to first output of `echo hi` | p50 ms | p90 ms | min ms | n |",
                "|---|---|---:|---:|---:|---:|",
                "| runc | run + exec | 80.0 | 200.0 | 70.0 | 5 |",
                "| Burrow | POST + exec | 360.0 | 420.0 | 300.0 | 3 |");
    }

    @Test
    void aRatioIsTheFirstSystemsP50OverTheSecondsAsTheIssueQuotesIt() {
        VsTable t = new VsTable().add("gVisor", "x", of(250, 259, 270)).add("Burrow", "y", of(361, 350, 400));

        assertThat(t.ratio("Burrow", "gVisor")).isEqualTo("Burrow/gVisor p50: 1.39×");
        assertThat(t.ratio("gVisor", "Burrow")).isEqualTo("gVisor/Burrow p50: 0.72×");
    }

    @Test
    void aRatioOfASystemNotMeasuredIsRefusedRatherThanGuessed() {
        VsTable t = new VsTable().add("runc", "x", of(75));

        assertThatThrownBy(() -> t.ratio("Burrow", "runc")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Burrow");
    }
}
