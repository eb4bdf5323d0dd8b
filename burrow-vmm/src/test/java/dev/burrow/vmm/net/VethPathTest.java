package dev.burrow.vmm.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.VmmException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class VethPathTest {

    private static final String INSTANCE = "0123456789ab";
    private static final NetworkSettings SETTINGS = NetworkSettings.defaults();
    private final FakeNetHost host = new FakeNetHost();

    private static int firstSlot(String vmId, int slots) {
        return Math.floorMod(VethPath.netnsName(INSTANCE, vmId).hashCode(), slots);
    }

    private VethPath create(String vmId, NetworkSpec spec) throws VmmException {
        return VethPath.create(SETTINGS, INSTANCE, vmId, spec, VethPath.ROOT_OWNED, VethPath.ROOT_OWNED, host);
    }

    @Test
    void aPathIsNamedAfterTheInstanceAndMicroVmAndRoutesTheGuestsLinkThroughTheNamespace() throws Exception {
        VethPath p = create("vm1", NetworkSpec.internet());

        int slot = firstSlot("vm1", 8192);
        assertThat(p.netns()).isEqualTo("burrow-0123456789ab-vm1");
        assertThat(p.netnsPath().toString()).isEqualTo("/run/netns/burrow-0123456789ab-vm1");
        assertThat(p.hostLink()).isEqualTo("bnet" + slot);
        assertThat(host.links).containsEntry("bnet" + slot, "burrow-0123456789ab-vm1");
        String prefix = "10.250." + (slot * 8 >> 8) + ".";
        int low = slot * 8 & 0xFF;
        assertThat(p.hostAddress()).isEqualTo(prefix + (low + 1));
        assertThat(p.gatewayAddress()).isEqualTo(prefix + (low + 5));
        assertThat(p.guestAddress()).isEqualTo(prefix + (low + 6));
        assertThat(host.calls).contains(
                "link set dev bnet" + slot + " alias burrow-0123456789ab-vm1 group " + VethPath.group(INSTANCE) + " up",
                "route add " + prefix + (low + 4) + "/30 via " + prefix + (low + 2) + " dev bnet" + slot,
                "-n burrow-0123456789ab-vm1 tuntap add dev tap0 mode tap",
                "sysctl burrow-0123456789ab-vm1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
    }

    @Test
    void theGuestSetsItsAddressRouteAndResolverReplacingWhatAnEarlierRunLeft() throws Exception {
        VethPath p = create("vm13", NetworkSpec.allowlist());

        assertThat(p.guestSetup()).containsExactly("sh", "-c", "ip link set eth0 up && ip addr flush dev eth0 && ip addr add "
                + p.guestAddress() + "/30 dev eth0 && ip route replace default via " + p.gatewayAddress()
                + " && printf 'nameserver " + p.gatewayAddress() + "\\n' > /etc/resolv.conf.burrow"
                + " && mv -f /etc/resolv.conf.burrow /etc/resolv.conf");
    }

    @Test
    void theTapBelongsToTheVmmsUidAndGidWhenTheyAreGiven() throws Exception {
        VethPath.create(SETTINGS, INSTANCE, "vm14", NetworkSpec.internet(), 200_001, 200_000, host);

        assertThat(host.calls).contains("-n burrow-0123456789ab-vm14 tuntap add dev tap0 mode tap user 200001 group 200000");
    }

    @Test
    void theNamespaceGetsItsRulesetAndTheHostTableIsCreatedOnceWithEveryPathsPorts() throws Exception {
        VethPath a = create("vm15", NetworkSpec.internet());
        VethPath b = create("vm16", NetworkSpec.allowlist().withPorts(20053, 20080, 20443));

        assertThat(host.scripts.get(a.netns())).singleElement().asString()
                .contains("dnat ip to " + a.hostAddress() + ":10053", " masquerade");
        assertThat(host.scripts.get(b.netns())).singleElement().asString()
                .contains("tcp dport 443 dnat ip to " + b.hostAddress() + ":20443").doesNotContain("masquerade");
        assertThat(host.scripts.get("host")).hasSize(2);
        assertThat(host.scripts.get("host").getFirst()).contains("table inet burrow-0123456789ab {")
                .endsWith("add element inet burrow-0123456789ab ports { udp . 10053, tcp . 10053 }\n");
        assertThat(host.scripts.get("host").getLast())
                .isEqualTo("add element inet burrow-0123456789ab ports { udp . 20053, tcp . 20053, tcp . 20080, tcp . 20443 }\n");
        assertThat(host.hostTables).containsExactly("burrow-0123456789ab");
    }

    @Test
    void onlyAnInternetPathTurnsOnTheHostsForwarding() throws Exception {
        create("vm17", NetworkSpec.allowlist());
        assertThat(host.forwarding).isFalse();

        create("vm18", NetworkSpec.internet());
        assertThat(host.forwarding).isTrue();
    }

    @Test
    void theHostTableGoesWithTheInstancesLastPathAndNotBefore() throws Exception {
        VethPath a = create("vm19", NetworkSpec.internet());
        VethPath b = create("vm20", NetworkSpec.internet());
        host.netns.add("burrow-otherinstance-vm1");

        a.close();
        assertThat(host.hostTables).containsExactly("burrow-0123456789ab");
        b.close();

        assertThat(host.hostTables).isEmpty();
        assertThat(host.scripts.get("host").getLast()).isEqualTo("delete table inet burrow-0123456789ab\n");
    }

    @Test
    void aModeWithoutANetworkHasNoPath() {
        assertThatThrownBy(() -> create("vm21", NetworkSpec.NONE)).isInstanceOf(IllegalArgumentException.class);
        assertThat(host.calls).isEmpty();
    }

    @Test
    void aBlockWhoseHostLinkExistsOrIsTakenBetweenTheCheckAndTheAddIsSkipped() throws Exception {
        int slot = firstSlot("vm2", 8192);
        host.links.put("bnet" + slot, "burrow-other-vm");
        host.racing.add("bnet" + (slot + 1) % 8192);

        VethPath p = create("vm2", NetworkSpec.internet());

        assertThat(p.hostLink()).isEqualTo("bnet" + (slot + 2) % 8192);
        assertThat(host.links).containsEntry("bnet" + slot, "burrow-other-vm");
    }

    @Test
    void aFullRangeFailsNamingItAndLeavesNoNamespace() {
        NetworkSettings oneBlock = SETTINGS.withRange("10.250.0.0/29");
        host.links.put("bnet0", "burrow-other-vm");

        assertThatThrownBy(() -> VethPath.create(oneBlock, INSTANCE, "vm3", NetworkSpec.internet(), -1, -1, host))
                .isInstanceOf(VmmException.class).hasMessageContaining("no free block for vm3 in 10.250.0.0/29");
        assertThat(host.netns).isEmpty();
    }

    @Test
    void aFailedStepRemovesTheHostLinkTheNamespaceAndTheHostTable() {
        host.fails = c -> c.contains("tuntap");

        assertThatThrownBy(() -> create("vm4", NetworkSpec.internet()))
                .isInstanceOf(VmmException.class).hasMessageContaining("tuntap");
        assertThat(host.netns).isEmpty();
        assertThat(host.links).isEmpty();
        assertThat(host.hostTables).isEmpty();
        assertThat(host.calls.getLast()).isEqualTo("netns del burrow-0123456789ab-vm4");
    }

    @Test
    void aRulesetTheKernelRefusesRemovesEverythingTheHostTableIncluded() {
        host.fails = c -> c.equals("nft host");

        assertThatThrownBy(() -> create("vm22", NetworkSpec.allowlist())).isInstanceOf(VmmException.class);
        assertThat(host.netns).isEmpty();
        assertThat(host.links).isEmpty();
        assertThat(host.hostTables).isEmpty();
    }

    @Test
    void aLeftoverNamespaceOfTheSameMicroVmIsNotReusedSilently() {
        host.netns.add("burrow-0123456789ab-vm5");

        assertThatThrownBy(() -> create("vm5", NetworkSpec.internet())).hasMessageContaining("already exists");
        assertThat(host.calls).isEmpty();
    }

    @Test
    void closingRemovesTheHostLinkThenTheNamespaceOnce() throws Exception {
        VethPath p = create("vm6", NetworkSpec.internet());
        host.calls.clear();

        p.close();
        p.close();

        assertThat(host.calls).containsExactly("link del " + p.hostLink(), "netns del burrow-0123456789ab-vm6", "nft host");
        assertThat(host.netns).isEmpty();
        assertThat(host.links).isEmpty();
    }

    @Test
    void leftoversOfAMicroVmWhoseEngineDiedAreFoundByTheHostLinksAlias() throws Exception {
        create("vm7", NetworkSpec.internet());
        VethPath other = create("vm8", NetworkSpec.internet());

        VethPath.removeLeftovers(INSTANCE, "vm7", host);
        VethPath.removeLeftovers(INSTANCE, "vm9", host);

        assertThat(host.netns).containsExactly(other.netns());
        assertThat(host.links).containsOnlyKeys(other.hostLink());
        assertThat(host.hostTables).containsExactly("burrow-0123456789ab");
    }

    @Test
    void aRunningMicroVmsPathIsFoundByItsNamesWithTheSameAddresses() throws Exception {
        VethPath created = create("vm10", NetworkSpec.internet());

        VethPath found = VethPath.existing(SETTINGS, INSTANCE, "vm10", host).orElseThrow();

        assertThat(found.hostLink()).isEqualTo(created.hostLink());
        assertThat(found.guestAddress()).isEqualTo(created.guestAddress());
        assertThat(VethPath.existing(SETTINGS, INSTANCE, "vm11", host)).isEmpty();
        host.links.put("eth9", "burrow-0123456789ab-vm12");
        host.netns.add("burrow-0123456789ab-vm12");
        assertThat(VethPath.existing(SETTINGS, INSTANCE, "vm12", host)).isEmpty();
    }

    @Test
    void twoInstancesLinksCarryDifferentGroupsOutsideTheDefaultOne() {
        assertThat(VethPath.group(INSTANCE)).isNotEqualTo(VethPath.group("ba9876543210")).isNotZero();
    }

    @Test
    void settingsRefuseARangeThatIsNotOneAndAZeroProbeCount() {
        assertThatThrownBy(() -> SETTINGS.withRange("10.250.0.0"))
                .hasMessageContaining("not an IPv4 range");
        assertThatThrownBy(() -> new NetworkSettings(NetworkSettings.DEFAULT_RANGE, 0, Duration.ofSeconds(1), Duration.ofSeconds(1), false))
                .hasMessageContaining("maxProbes");
    }
}
