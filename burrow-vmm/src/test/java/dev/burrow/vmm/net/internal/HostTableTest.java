package dev.burrow.vmm.net.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("security")
class HostTableTest {

    private final HostTable table = new HostTable("burrow-0123456789ab", 1107296257, "10.250.0.0/16", "bnet*");

    private List<String> lines() {
        return table.create().lines().map(String::strip).toList();
    }

    @Test
    void theInstancesLinksReachTheHostOnlyForRepliesAndTheDaemonsPorts() {
        assertThat(lines()).containsSubsequence(
                "type filter hook input priority filter; policy accept;",
                "iifgroup 1107296257 ct state established,related accept",
                "iifgroup 1107296257 ct state new ip daddr 10.250.0.0/16 meta l4proto . th dport @ports accept",
                "iifgroup 1107296257 drop");
    }

    @Test
    void noMicroVmsLinkForwardsIntoAnotherAndNothingNewIsForwardedIntoOne() {
        assertThat(lines()).containsSubsequence(
                "type filter hook forward priority filter; policy accept;",
                "iifgroup 1107296257 oifname \"bnet*\" drop",
                "iifgroup 1107296257 meta nfproto ipv6 drop",
                "oifgroup 1107296257 ct state established,related accept",
                "oifgroup 1107296257 drop");
    }

    @Test
    void theRangeIsMasqueradedOutOfEveryLinkButTheMicroVms() {
        assertThat(lines()).contains("ip saddr 10.250.0.0/16 oifname != \"bnet*\" masquerade");
    }

    @Test
    void everyChainAcceptsByDefaultSoTheHostsOtherTrafficIsNotBurrowsToJudge() {
        assertThat(lines()).filteredOn(s -> s.contains(" hook ")).allMatch(s -> s.endsWith("policy accept;")).hasSize(3);
    }

    @Test
    void portsAreAddedAsElementsOfTheTablesSet() {
        assertThat(table.addPorts(List.of("udp . 10053", "tcp . 10080")))
                .isEqualTo("add element inet burrow-0123456789ab ports { udp . 10053, tcp . 10080 }\n");
    }
}
