package dev.burrow.daemon.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A call's steps: nested ones counted once, repeated ones summed, nothing recorded outside a call or without a listener. */
class SpansTest {

    /** Spends at least {@code nanos} of wall time (a step needs a duration; no sleep). */
    private static void spend(long nanos) {
        long until = System.nanoTime() + nanos;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    @Test
    void aNestedStepIsTakenOutOfItsParentSoTheStepsAddUpToTheCall() throws Exception {
        List<Spans.Trace> traces = new ArrayList<>();
        try (AutoCloseable l = Spans.listen(traces::add)) {
            Spans.run("POST", "/v1/microvms", () -> {
                try (Spans.Step outer = Spans.time("engine")) {
                    spend(2_000_000);
                    try (Spans.Step inner = Spans.time("commit")) {
                        spend(3_000_000);
                    }
                }
                try (Spans.Step again = Spans.time("commit")) {
                    spend(1_000_000);
                }
                Spans.mark("first-stdout");
                Spans.mark("first-stdout");
            });
        }

        assertThat(traces).hasSize(1);
        Spans.Trace t = traces.getFirst();
        assertThat(t.method()).isEqualTo("POST");
        assertThat(t.steps()).containsOnlyKeys("engine", "commit");
        assertThat(t.steps().get("commit").count()).isEqualTo(2);
        assertThat(t.steps().get("commit").nanos()).isGreaterThanOrEqualTo(4_000_000);
        assertThat(t.steps().get("engine").nanos()).isGreaterThanOrEqualTo(2_000_000);
        assertThat(t.unaccounted()).as("the inner commit counted once, not again inside the engine step").isGreaterThanOrEqualTo(0);
        assertThat(t.marks()).containsOnlyKeys("first-stdout");
        assertThat(t.marks().get("first-stdout")).isBetween(6_000_000L, t.totalNanos());
    }

    @Test
    void aStepOpenedOutsideACallBelongsToNoCall() throws Exception {
        List<Spans.Trace> traces = new ArrayList<>();
        try (AutoCloseable l = Spans.listen(traces::add)) {
            try (Spans.Step outside = Spans.time("outside")) {
                Spans.mark("outside");
                Spans.run("GET", "/v1/microvms", () -> {
                    try (Spans.Step s = Spans.time("db-read")) {
                        spend(1000);
                    }
                });
            }
        }
        assertThat(traces).hasSize(1);
        assertThat(traces.getFirst().steps()).containsOnlyKeys("db-read");
        assertThat(traces.getFirst().marks()).isEmpty();
    }

    @Test
    void aCallWithMoreDistinctStepsThanTheCapFoldsTheRestIntoOne() throws Exception {
        List<Spans.Trace> traces = new ArrayList<>();
        try (AutoCloseable l = Spans.listen(traces::add)) {
            Spans.run("GET", "/x", () -> {
                for (int i = 0; i < Spans.MAX_STEPS + 5; i++) {
                    try (Spans.Step s = Spans.time("step" + i)) {
                        spend(1000);
                    }
                }
            });
        }
        Spans.Trace t = traces.getFirst();
        assertThat(t.steps()).hasSize(Spans.MAX_STEPS + 1).containsKey(Spans.OVERFLOW);
        assertThat(t.steps().get(Spans.OVERFLOW).count()).isEqualTo(5);
    }
}
