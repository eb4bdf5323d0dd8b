package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The checker the conformance group holds every response to (contrib/aws-conformance/model_check.py)
 * is itself tested: its Python unit tests feed it conforming responses and each kind of bad one —
 * a missing member, an extra one, a wrong type, an enum or range or pattern miss, a wrong status,
 * an undeclared error — and expect it to name the fault. No daemon: seconds.
 */
class AwsModelCheckTest {

    @Test
    void theModelCheckerRefusesEachKindOfNonconformingResponse() throws Exception {
        AwsConformanceTest.requireInterpreters();
        AwsConformanceTest.Run r = AwsConformanceTest.run(AwsConformanceTest.UNIT_DEADLINE, Map.of(),
                AwsConformanceTest.AwsSdks.python(), "-m", "unittest", "-v", "test_model_check");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).containsPattern("Ran [1-9][0-9]* tests").endsWith("OK");
    }
}
