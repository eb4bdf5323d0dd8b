package dev.burrow.vmm.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.VmmException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class VethPathTest {

    private static final String INSTANCE = "0123456789ab";
    private final FakeNetHost host = new FakeNetHost();

    private static int firstSlot(String vmId, int slots) {
        return Math.floorMod(VethPath.netnsName(INSTANCE, vmId).hashCode(), slots);
    }

    @Test
    void aPathIsNamedAfterTheInstanceAndMicroVmAndRoutesTheGuestsLinkThroughTheNamespace() throws Exception {
        VethPath p = VethPath.create(BenchNetwork.defaults(), INSTANCE, "vm1", host);

        int slot = firstSlot("vm1", 8192);
        assertThat(p.netns()).isEqualTo("burrow-0123456789ab-vm1");
        assertThat(p.netnsPath().toString()).isEqualTo("/run/netns/burrow-0123456789ab-vm1");
        assertThat(p.hostLink()).isEqualTo("bnet" + slot);
        assertThat(host.links).containsEntry("bnet" + slot, "burrow-0123456789ab-vm1");
        String prefix = "10.250." + (slot * 8 >> 8) + ".";
        int low = slot * 8 & 0xFF;
        assertThat(p.hostAddress()).isEqualTo(prefix + (low + 1));
        assertThat(p.guestAddress()).isEqualTo(prefix + (low + 6));
        assertThat(host.calls).contains(
                "route add " + prefix + (low + 4) + "/30 via " + prefix + (low + 2) + " dev bnet" + slot,
                "-n burrow-0123456789ab-vm1 tuntap add dev tap0 mode tap",
                "netns exec burrow-0123456789ab-vm1 sysctl -q -w net.ipv4.ip_forward=1");
        assertThat(p.guestSetup()).containsExactly("sh", "-c", "ip link set eth0 up && ip addr add " + p.guestAddress()
                + "/30 dev eth0 && ip route add default via " + prefix + (low + 5));
    }

    @Test
    void aBlockWhoseHostLinkExistsOrIsTakenBetweenTheCheckAndTheAddIsSkipped() throws Exception {
        int slot = firstSlot("vm2", 8192);
        host.links.put("bnet" + slot, "burrow-other-vm");
        host.racing.add("bnet" + (slot + 1) % 8192);

        VethPath p = VethPath.create(BenchNetwork.defaults(), INSTANCE, "vm2", host);

        assertThat(p.hostLink()).isEqualTo("bnet" + (slot + 2) % 8192);
        assertThat(host.links).containsEntry("bnet" + slot, "burrow-other-vm");
    }

    @Test
    void aFullRangeFailsNamingItAndLeavesNoNamespace() {
        BenchNetwork oneBlock = BenchNetwork.defaults().withRange("10.250.0.0/29");
        host.links.put("bnet0", "burrow-other-vm");

        assertThatThrownBy(() -> VethPath.create(oneBlock, INSTANCE, "vm3", host))
                .isInstanceOf(VmmException.class).hasMessageContaining("no free block for vm3 in 10.250.0.0/29");
        assertThat(host.netns).isEmpty();
    }

    @Test
    void aFailedStepRemovesTheHostLinkAndTheNamespace() {
        host.fails = c -> c.contains("tuntap");

        assertThatThrownBy(() -> VethPath.create(BenchNetwork.defaults(), INSTANCE, "vm4", host))
                .isInstanceOf(VmmException.class).hasMessageContaining("tuntap");
        assertThat(host.netns).isEmpty();
        assertThat(host.links).isEmpty();
        assertThat(host.calls.getLast()).isEqualTo("netns del burrow-0123456789ab-vm4");
    }

    @Test
    void aLeftoverNamespaceOfTheSameMicroVmIsNotReusedSilently() {
        host.netns.add("burrow-0123456789ab-vm5");

        assertThatThrownBy(() -> VethPath.create(BenchNetwork.defaults(), INSTANCE, "vm5", host))
                .hasMessageContaining("already exists");
        assertThat(host.calls).isEmpty();
    }

    @Test
    void closingRemovesTheHostLinkThenTheNamespaceOnce() throws Exception {
        VethPath p = VethPath.create(BenchNetwork.defaults(), INSTANCE, "vm6", host);
        host.calls.clear();

        p.close();
        p.close();

        assertThat(host.calls).containsExactly("link del " + p.hostLink(), "netns del burrow-0123456789ab-vm6");
        assertThat(host.netns).isEmpty();
        assertThat(host.links).isEmpty();
    }

    @Test
    void leftoversOfAMicroVmWhoseEngineDiedAreFoundByTheHostLinksAlias() throws Exception {
        VethPath.create(BenchNetwork.defaults(), INSTANCE, "vm7", host);
        VethPath other = VethPath.create(BenchNetwork.defaults(), INSTANCE, "vm8", host);

        VethPath.removeLeftovers(INSTANCE, "vm7", host);
        VethPath.removeLeftovers(INSTANCE, "vm9", host);

        assertThat(host.netns).containsExactly(other.netns());
        assertThat(host.links).containsOnlyKeys(other.hostLink());
    }

    @Test
    void aRunningMicroVmsPathIsFoundByItsNamesWithTheSameAddresses() throws Exception {
        VethPath created = VethPath.create(BenchNetwork.defaults(), INSTANCE, "vm10", host);

        VethPath found = VethPath.existing(BenchNetwork.defaults(), INSTANCE, "vm10", host).orElseThrow();

        assertThat(found.hostLink()).isEqualTo(created.hostLink());
        assertThat(found.guestAddress()).isEqualTo(created.guestAddress());
        assertThat(VethPath.existing(BenchNetwork.defaults(), INSTANCE, "vm11", host)).isEmpty();
        host.links.put("eth9", "burrow-0123456789ab-vm12");
        host.netns.add("burrow-0123456789ab-vm12");
        assertThat(VethPath.existing(BenchNetwork.defaults(), INSTANCE, "vm12", host)).isEmpty();
    }

    @Test
    void settingsRefuseARangeThatIsNotOneAndAZeroProbeCount() {
        assertThatThrownBy(() -> BenchNetwork.defaults().withRange("10.250.0.0"))
                .hasMessageContaining("not an IPv4 range");
        assertThatThrownBy(() -> new BenchNetwork(BenchNetwork.DEFAULT_RANGE, 0, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .hasMessageContaining("maxProbes");
    }
}
