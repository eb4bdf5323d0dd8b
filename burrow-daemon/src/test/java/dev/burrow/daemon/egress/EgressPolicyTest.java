package dev.burrow.daemon.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EgressPolicyTest {

    private static List<EgressPolicy.Violation> problems(Map<String, Object> network) {
        List<EgressPolicy.Violation> v = new ArrayList<>();
        EgressPolicy p = EgressPolicy.parse(network, v);
        if (!v.isEmpty()) {
            assertThat(p).isEqualTo(EgressPolicy.NONE);
        }
        return v;
    }

    private static List<String> fields(Map<String, Object> network) {
        return problems(network).stream().map(EgressPolicy.Violation::field).toList();
    }

    private static EgressPolicy allow(String... names) {
        List<EgressPolicy.Violation> v = new ArrayList<>();
        EgressPolicy p = EgressPolicy.parse(Map.of("egress", "allowlist", "allow", List.of(names)), v);
        assertThat(v).isEmpty();
        return p;
    }

    @Test
    void noNetworkIsEgressNone() {
        assertThat(EgressPolicy.parse(null, new ArrayList<>())).isEqualTo(EgressPolicy.NONE);
        assertThat(EgressPolicy.fromJson(null)).isEqualTo(EgressPolicy.NONE);
        assertThat(EgressPolicy.NONE.view()).isEqualTo(Map.of("egress", "none"));
    }

    @Test
    void everyFaultyFieldIsNamedTogether() {
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("egress", "allowlist");
        n.put("allow", List.of("ok.example.com", "10.0.0.1", "UPPER.com", 7, "a..b", "x".repeat(64) + ".com", "trailing.dot."));
        n.put("ports", 80);
        assertThat(fields(n)).containsExactly("network.ports", "network.allow[1]", "network.allow[2]", "network.allow[3]",
                "network.allow[4]", "network.allow[5]", "network.allow[6]");
        assertThat(problems(n).get(1).detail()).contains("10.0.0.1").contains("IP address");
    }

    @Test
    void allowIsRequiredWithAllowlistAndRefusedOtherwise() {
        assertThat(fields(Map.of("egress", "allowlist"))).containsExactly("network.allow");
        assertThat(fields(Map.of("egress", "allowlist", "allow", List.of()))).containsExactly("network.allow");
        assertThat(fields(Map.of("egress", "allowlist", "allow", Collections.nCopies(65, "a.com")))).containsExactly("network.allow");
        assertThat(fields(Map.of("egress", "allowlist", "allow", "a.com"))).containsExactly("network.allow");
        assertThat(fields(Map.of("egress", "internet", "allow", List.of("a.com")))).containsExactly("network.allow");
        assertThat(fields(Map.of("egress", "none", "allow", List.of("a.com")))).containsExactly("network.allow");
        assertThat(fields(Map.of("egress", "everything"))).containsExactly("network.egress");
        assertThat(fields(Map.of("allow", List.of("a.com")))).containsExactly("network.egress");
        assertThat(fields(Map.of("egress", 1))).containsExactly("network.egress");
    }

    @Test
    void namesAtTheLimitsAreAccepted() {
        String label = "a".repeat(63);
        String longest = String.join(".", label, label, label, "b".repeat(61)); // 253 characters
        assertThat(longest).hasSize(253);
        assertThat(allow(longest, "*.example.org", "x-1.io").allow()).hasSize(3);
        assertThat(fields(Map.of("egress", "allowlist", "allow", List.of(longest + "c")))).containsExactly("network.allow[0]");
        assertThat(fields(Map.of("egress", "allowlist", "allow", List.of("*.", "*", "a.*.com", "-a.com", "a-.com", "[::1]", "::1"))))
                .hasSize(7);
    }

    @Test
    void anExactEntryMatchesOnlyThatName() {
        EgressPolicy p = allow("pypi.org");
        assertThat(p.allows("pypi.org")).isTrue();
        assertThat(p.allows("files.pypi.org")).isFalse();
        assertThat(p.allows("evilpypi.org")).isFalse();
        assertThat(p.allows("pypi.org.evil.com")).isFalse();
    }

    @Test
    void aWildcardMatchesSubdomainsButNotTheApex() {
        EgressPolicy p = allow("*.b.org");
        assertThat(p.allows("x.b.org")).isTrue();
        assertThat(p.allows("y.x.b.org")).isTrue();
        assertThat(p.allows("b.org")).isFalse();
        assertThat(p.allows("evilb.org")).isFalse();
        assertThat(p.allows("b.org.x")).isFalse();
    }

    @Test
    void internetAllowsEveryNameAndNoneNothing() {
        assertThat(EgressPolicy.parse(Map.of("egress", "internet"), new ArrayList<>()).allows("any.where")).isTrue();
        assertThat(EgressPolicy.NONE.allows("any.where")).isFalse();
    }

    @Test
    void theStoredFormReadsBackAsTheSamePolicy() {
        EgressPolicy p = allow("a.com", "*.b.org", "a.com");
        assertThat(p.allow()).containsExactly("a.com", "*.b.org");
        assertThat(EgressPolicy.fromJson(p.json())).isEqualTo(p);
        assertThat(p.view()).isEqualTo(Map.of("egress", "allowlist", "allow", List.of("a.com", "*.b.org")));
        assertThatThrownBy(() -> EgressPolicy.fromJson("{\"egress\":\"sideways\"}")).hasMessageContaining("network.egress");
    }
}
