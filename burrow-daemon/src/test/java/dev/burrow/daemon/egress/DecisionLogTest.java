package dev.burrow.daemon.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecisionLogTest {

    @Test
    void onlyTheNewestDecisionsOfAMicroVmAreKept() {
        DecisionLog log = new DecisionLog(3, Clock.systemUTC());
        for (int i = 0; i < 10; i++) {
            log.record("vm1", "dns", "n" + i + ".com", 53, i % 2 == 0, "r");
        }
        log.record("vm2", "tls", "other.com", 443, false, "not on the allow list");
        List<Decision> kept = log.after("vm1", 0, 100);
        assertThat(kept).extracting(Decision::name).containsExactly("n7.com", "n8.com", "n9.com");
        assertThat(log.after("vm2", 0, 100)).extracting(Decision::decision).containsExactly(Decision.DENIED);
    }

    @Test
    void aCursorContinuesAfterTheLastDecisionSeen() {
        DecisionLog log = new DecisionLog(100, Clock.systemUTC());
        for (int i = 0; i < 5; i++) {
            log.record("vm1", "http", "n" + i + ".com", 80, true, "r");
        }
        List<Decision> first = log.after("vm1", 0, 2);
        List<Decision> rest = log.after("vm1", first.getLast().seq(), 100);
        assertThat(first).extracting(Decision::name).containsExactly("n0.com", "n1.com");
        assertThat(rest).extracting(Decision::name).containsExactly("n2.com", "n3.com", "n4.com");
    }

    @Test
    void aForgottenMicroVmHasNoDecisions() {
        DecisionLog log = new DecisionLog(10, Clock.systemUTC());
        log.record("vm1", "dns", "a.com", 53, true, "r");
        log.forget("vm1");
        assertThat(log.after("vm1", 0, 10)).isEmpty();
    }
}
