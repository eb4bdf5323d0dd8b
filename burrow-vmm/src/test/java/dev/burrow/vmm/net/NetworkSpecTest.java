package dev.burrow.vmm.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkSpecTest {

    @Test
    void noneHasNoPathAndTheOtherModesDo() {
        assertThat(NetworkSpec.NONE.hasPath()).isFalse();
        assertThat(NetworkSpec.internet().hasPath()).isTrue();
        assertThat(NetworkSpec.allowlist().hasPath()).isTrue();
    }

    @Test
    void theDefaultBlockedRangesCoverPrivateLoopbackLinkLocalAndMulticastSpace() {
        assertThat(NetworkSpec.internet().blockedRanges()).contains("10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
                "192.168.0.0/16", "100.64.0.0/10", "224.0.0.0/4");
    }

    @Test
    void aPortOutsideTheRangeIsRefusedNamingIt() {
        assertThatThrownBy(() -> NetworkSpec.allowlist().withPorts(0, 80, 443)).hasMessageContaining("dnsPort");
        assertThatThrownBy(() -> NetworkSpec.allowlist().withPorts(53, 65536, 443)).hasMessageContaining("httpPort");
    }

    @Test
    void aBlockedRangeThatIsNoRangeIsRefusedNamingIt() {
        assertThatThrownBy(() -> NetworkSpec.internet().withBlockedRanges(List.of("10.0.0.0/8", "evil.example; flush ruleset")))
                .hasMessageContaining("evil.example");
        assertThatThrownBy(() -> NetworkSpec.internet().withBlockedRanges(List.of("10.0.0.1/8"))).hasMessageContaining("host bits");
        assertThat(NetworkSpec.internet().withBlockedRanges(List.of("0.0.0.0/0", "203.0.113.7/32")).blockedRanges()).hasSize(2);
    }

    @Test
    void tooManyBlockedRangesAreRefused() {
        List<String> many = Collections.nCopies(NetworkSpec.MAX_BLOCKED_RANGES + 1, "10.0.0.0/8");
        assertThatThrownBy(() -> NetworkSpec.internet().withBlockedRanges(many)).hasMessageContaining("at most");
    }
}
