package dev.burrow.vmm.net;

import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.net.internal.Ipv4Block;
import dev.burrow.vmm.net.internal.NetHost;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One microVM's network path (docs/adr/0016-bench-network-path.md): a network namespace named
 * {@code burrow-<instance>-<vmId>} that the VMM runs in, holding a tap ({@value #TAP}) for the
 * NIC and one end of a veth pair ({@value #NS_VETH}); the other end ({@code bnet<slot>}, its
 * alias the namespace's name) stays on the host. Block {@code slot} of the range gives two /30
 * links: host .1 ⇄ namespace .2 on the veth, namespace .5 ⇄ guest .6 on the tap; the host
 * routes the guest's /30 through the namespace, which forwards. Closing removes the host link
 * and the namespace (the tap and the veth's other end go with it).
 */
public final class VethPath implements AutoCloseable {

    public static final String TAP = "tap0";
    public static final String GUEST_IFACE = "eth0";
    static final String NS_VETH = "veth0";
    static final String HOST_LINK_PREFIX = "bnet";
    static final Path NETNS_DIR = Path.of("/run/netns");
    private static final int HOST = 1;
    private static final int NS_VETH_ADDRESS = 2;
    private static final int GUEST_LINK = 4;
    private static final int NS_TAP_ADDRESS = 5;
    private static final int GUEST = 6;

    private final NetHost host;
    private final String netns;
    private final String hostLink;
    private final Ipv4Block block;
    private final int slot;
    private boolean closed;

    private VethPath(NetHost host, String netns, String hostLink, Ipv4Block block, int slot) {
        this.host = host;
        this.netns = netns;
        this.hostLink = hostLink;
        this.block = block;
        this.slot = slot;
    }

    /** Creates the path of {@code vmId} in the first free block from a place its name picks; on failure nothing is left. */
    public static VethPath create(BenchNetwork settings, String instanceId, String vmId) throws VmmException {
        return create(settings, instanceId, vmId, -1);
    }

    /** The same, with the tap owned by {@code tapUser} (a jailed VMM's uid; negative: root only). */
    public static VethPath create(BenchNetwork settings, String instanceId, String vmId, long tapUser) throws VmmException {
        return create(settings, instanceId, vmId, NetHost.system(settings.commandTimeout().toSeconds()), tapUser);
    }

    static VethPath create(BenchNetwork settings, String instanceId, String vmId, NetHost host) throws VmmException {
        return create(settings, instanceId, vmId, host, -1);
    }

    private static VethPath create(BenchNetwork settings, String instanceId, String vmId, NetHost host, long tapUser) throws VmmException {
        Ipv4Block block = settings.block();
        String ns = netnsName(instanceId, vmId);
        if (host.netnsExists(ns)) {
            throw new VmmException("network namespace " + ns + " already exists (a leftover of a crash? `ip netns del " + ns + "`)");
        }
        host.ip(List.of("netns", "add", ns));
        VethPath path = null;
        try {
            int first = Math.floorMod(ns.hashCode(), block.slots());
            for (int probe = 0; probe < Math.min(settings.maxProbes(), block.slots()) && path == null; probe++) {
                int slot = (first + probe) % block.slots();
                String link = HOST_LINK_PREFIX + slot;
                if (!host.linkExists(link) && addVeth(host, link, ns)) {
                    path = new VethPath(host, ns, link, block, slot);
                }
            }
            if (path == null) {
                throw new VmmException("no free block for " + vmId + " in " + block + " after " + settings.maxProbes() + " tries");
            }
            path.configure(tapUser);
            return path;
        } catch (VmmException | RuntimeException e) {
            try {
                if (path != null) {
                    path.close();
                } else {
                    host.ip(List.of("netns", "del", ns));
                }
            } catch (VmmException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    /** False when another path took the name first (the host link's name is the block's lock). */
    private static boolean addVeth(NetHost host, String link, String ns) throws VmmException {
        try {
            host.ip(List.of("link", "add", link, "type", "veth", "peer", "name", NS_VETH, "netns", ns));
            return true;
        } catch (VmmException e) {
            if (e.getMessage().contains("File exists")) {
                return false;
            }
            throw e;
        }
    }

    /**
     * The path of a running microVM, found by its names (its namespace, the host link carrying
     * that alias): for a benchmark that did not restore the microVM itself. Closing it removes it.
     */
    public static Optional<VethPath> existing(BenchNetwork settings, String instanceId, String vmId) {
        return existing(settings, instanceId, vmId, NetHost.system(settings.commandTimeout().toSeconds()));
    }

    static Optional<VethPath> existing(BenchNetwork settings, String instanceId, String vmId, NetHost host) {
        String ns = netnsName(instanceId, vmId);
        if (!host.netnsExists(ns)) {
            return Optional.empty();
        }
        Ipv4Block block = settings.block();
        return host.linkWithAlias(ns).filter(l -> l.matches(HOST_LINK_PREFIX + "\\d{1,7}"))
                .map(l -> Integer.parseInt(l.substring(HOST_LINK_PREFIX.length())))
                .filter(slot -> slot < block.slots())
                .map(slot -> new VethPath(host, ns, HOST_LINK_PREFIX + slot, block, slot));
    }

    private void configure(long tapUser) throws VmmException {
        host.ip(List.of("link", "set", "dev", hostLink, "alias", netns, "up"));
        host.ip(List.of("addr", "add", address(HOST) + "/30", "dev", hostLink));
        host.ip(List.of("route", "add", address(GUEST_LINK) + "/30", "via", address(NS_VETH_ADDRESS), "dev", hostLink));
        host.ip(List.of("-n", netns, "link", "set", "lo", "up"));
        host.ip(List.of("-n", netns, "addr", "add", address(NS_VETH_ADDRESS) + "/30", "dev", NS_VETH));
        host.ip(List.of("-n", netns, "link", "set", NS_VETH, "up"));
        host.ip(tapUser < 0 ? List.of("-n", netns, "tuntap", "add", "dev", TAP, "mode", "tap")
                : List.of("-n", netns, "tuntap", "add", "dev", TAP, "mode", "tap", "user", Long.toString(tapUser)));
        host.ip(List.of("-n", netns, "addr", "add", address(NS_TAP_ADDRESS) + "/30", "dev", TAP));
        host.ip(List.of("-n", netns, "link", "set", TAP, "up"));
        // forwarding is per namespace: this turns it on between the veth and the tap only, never on the host
        host.ip(List.of("netns", "exec", netns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"));
    }

    private String address(int offset) {
        return block.address(slot, offset);
    }

    /** The network namespace's name: {@code burrow-<instance>-<vmId>}. */
    public static String netnsName(String instanceId, String vmId) {
        return "burrow-" + instanceId + "-" + vmId;
    }

    public String netns() {
        return netns;
    }

    /** Where the namespace is bind-mounted: what the jailer enters before it starts the VMM. */
    public Path netnsPath() {
        return NETNS_DIR.resolve(netns);
    }

    public String hostLink() {
        return hostLink;
    }

    public String hostAddress() {
        return address(HOST);
    }

    /** The guest's address, reached from the host through the namespace. */
    public String guestAddress() {
        return address(GUEST);
    }

    /** The command that gives the guest its address and route (busybox or iproute2 {@code ip} in the image). */
    public List<String> guestSetup() {
        return List.of("sh", "-c", "ip link set " + GUEST_IFACE + " up && ip addr add " + guestAddress() + "/30 dev " + GUEST_IFACE
                + " && ip route add default via " + address(NS_TAP_ADDRESS));
    }

    /** Removes the host link, then the namespace (and what is in it once its VMM is gone). Idempotent. */
    @Override
    public synchronized void close() throws VmmException {
        if (closed) {
            return;
        }
        closed = true;
        remove(host, netns, Optional.of(hostLink));
    }

    /** Removes what a path of {@code vmId} left (its VMM died with the engine): its host link, found by alias, and its namespace. */
    static void removeLeftovers(String instanceId, String vmId, NetHost host) throws VmmException {
        String ns = netnsName(instanceId, vmId);
        remove(host, ns, host.linkWithAlias(ns));
    }

    public static void removeLeftovers(String instanceId, String vmId) throws VmmException {
        removeLeftovers(instanceId, vmId, NetHost.system(BenchNetwork.DEFAULT_COMMAND_TIMEOUT.toSeconds()));
    }

    private static void remove(NetHost host, String ns, Optional<String> link) throws VmmException {
        VmmException failure = null;
        if (link.isPresent() && host.linkExists(link.get())) {
            try {
                host.ip(List.of("link", "del", link.get()));
            } catch (VmmException e) {
                failure = e;
            }
        }
        if (host.netnsExists(ns)) {
            try {
                host.ip(List.of("netns", "del", ns));
            } catch (VmmException e) {
                if (failure != null) {
                    e.addSuppressed(failure);
                }
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return netns + " (" + hostLink + " " + hostAddress() + " ⇄ guest " + guestAddress() + ")";
    }
}
