package dev.burrow.vmm.net.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("security")
class NamespaceRulesetTest {

    private static final List<String> BLOCKED = List.of("10.0.0.0/8", "169.254.0.0/16", "10.250.0.0/16");

    private static NamespaceRuleset rules(boolean internet, boolean hostConnects) {
        return new NamespaceRuleset("burrow", "tap0", "veth0", "10.250.1.1", "10.250.1.6", internet, 10053, 10080, 10443, BLOCKED,
                hostConnects);
    }

    private static List<String> lines(String text) {
        return text.lines().map(String::strip).toList();
    }

    @Test
    void aLoadReplacesTheTableWholeInOneTransaction() {
        assertThat(rules(true, false).render()).startsWith("table inet burrow\ndelete table inet burrow\ntable inet burrow {\n");
    }

    @Test
    void theGuestsDnsToAnyAddressGoesToTheDaemonInEveryModeWithANetwork() {
        for (boolean internet : new boolean[] {true, false}) {
            assertThat(lines(rules(internet, false).render())).contains(
                    "iifname \"tap0\" meta nfproto ipv4 udp dport 53 dnat ip to 10.250.1.1:10053",
                    "iifname \"tap0\" meta nfproto ipv4 tcp dport 53 dnat ip to 10.250.1.1:10053");
        }
    }

    @Test
    void anAllowlistGuestReachesOnlyTheDaemonsPortsThroughDnat() {
        List<String> l = lines(rules(false, false).render());

        assertThat(l).contains(
                "iifname \"tap0\" meta nfproto ipv4 tcp dport 80 dnat ip to 10.250.1.1:10080",
                "iifname \"tap0\" meta nfproto ipv4 tcp dport 443 dnat ip to 10.250.1.1:10443",
                "type filter hook forward priority filter; policy drop;",
                "iifname \"tap0\" oifname \"veth0\" ct status dnat ip daddr 10.250.1.1 meta l4proto . th dport "
                        + "{ udp . 10053, tcp . 10053, tcp . 10080, tcp . 10443 } accept");
        assertThat(l).noneMatch(s -> s.startsWith("iifname \"tap0\" oifname \"veth0\"") && s.endsWith("\" accept"));
        assertThat(l).noneMatch(s -> s.contains("masquerade") || s.contains("@blocked"));
    }

    @Test
    void anInternetGuestIsForwardedAndMasqueradedExceptToTheBlockedRanges() {
        List<String> l = lines(rules(true, false).render());

        assertThat(l).containsSubsequence(
                "elements = { 10.0.0.0/8, 169.254.0.0/16, 10.250.0.0/16 }",
                "iifname \"tap0\" ip saddr != 10.250.1.6 drop",
                "iifname \"tap0\" oifname \"veth0\" ct status dnat ip daddr 10.250.1.1 meta l4proto . th dport { udp . 10053, tcp . 10053 } accept",
                "iifname \"tap0\" oifname \"veth0\" ip daddr @blocked drop",
                "iifname \"tap0\" oifname \"veth0\" accept",
                "oifname \"veth0\" ip saddr 10.250.1.6 ip daddr != 10.250.1.1 masquerade");
        assertThat(l).doesNotContain("tcp dport 80");
    }

    @Test
    void ipv6SpoofedSourcesAndTheNamespaceItselfAreClosedInEveryMode() {
        for (boolean internet : new boolean[] {true, false}) {
            List<String> l = lines(rules(internet, false).render());
            assertThat(l).containsSubsequence("type filter hook forward priority filter; policy drop;", "meta nfproto ipv6 drop",
                    "ct state established,related accept", "iifname \"tap0\" ip saddr != 10.250.1.6 drop");
            assertThat(l).containsSubsequence("type filter hook input priority filter; policy drop;", "iifname \"lo\" accept",
                    "ct state established,related accept", "}");
        }
    }

    @Test
    void onlyTheBenchmarksPathLetsTheHostConnectToTheGuest() {
        String bench = "iifname \"veth0\" oifname \"tap0\" ip saddr 10.250.1.1 ip daddr 10.250.1.6 accept";

        assertThat(lines(rules(false, true).render())).contains(bench);
        assertThat(lines(rules(false, false).render())).noneMatch(s -> s.contains("oifname \"tap0\""));
        assertThat(lines(rules(true, false).render())).noneMatch(s -> s.contains("oifname \"tap0\""));
    }
}
