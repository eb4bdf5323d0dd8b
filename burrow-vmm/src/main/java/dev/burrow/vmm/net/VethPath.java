package dev.burrow.vmm.net;

import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.net.internal.HostTable;
import dev.burrow.vmm.net.internal.Ipv4Block;
import dev.burrow.vmm.net.internal.NamespaceRuleset;
import dev.burrow.vmm.net.internal.NetHost;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One microVM's network path (docs/adr/0016-bench-network-path.md, docs/adr/0019-egress-path.md):
 * a network namespace named {@code burrow-<instance>-<vmId>} that the VMM runs in, holding a tap
 * ({@value #TAP}) for the NIC and one end of a veth pair ({@value #NS_VETH}); the other end
 * ({@code bnet<slot>}, its alias the namespace's name, its group the instance's) stays on the
 * host. Block {@code slot} of the range gives two /30 links: host .1 ⇄ namespace .2 on the veth,
 * namespace .5 ⇄ guest .6 on the tap; the host routes the guest's /30 through the namespace.
 * The namespace's nftables table ({@link NamespaceRuleset}) decides what the guest reaches, the
 * instance's host table ({@link HostTable}) what of the host its link reaches. Closing removes
 * the host link and the namespace (the tap and the veth's other end go with it), and the host
 * table once no path of the instance is left.
 */
public final class VethPath implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VethPath.class);
    public static final String TAP = "tap0";
    public static final String GUEST_IFACE = "eth0";
    /** The nftables table inside each namespace (the namespace's name carries the instance). */
    static final String NS_TABLE = "burrow";
    static final String NS_VETH = "veth0";
    static final String HOST_LINK_PREFIX = "bnet";
    static final Path NETNS_DIR = Path.of("/run/netns");
    /** Interface groups of host links: this bit set, the low 24 bits from the instance id (0 is every link's default group). */
    private static final int GROUP_BASE = 0x42000000;
    private static final int GROUP_BITS = 0x00FFFFFF;
    /** No uid or gid given: the tap belongs to root, as its creator. */
    public static final int ROOT_OWNED = -1;
    private static final int HOST = 1;
    private static final int NS_VETH_ADDRESS = 2;
    private static final int GUEST_LINK = 4;
    private static final int NS_TAP_ADDRESS = 5;
    private static final int GUEST = 6;
    /** Serialises this JVM's changes to host tables: creating one on first use, removing it after the last path. */
    private static final Object HOST_TABLES = new Object();
    /** The host tables this JVM made or found, and the ports loaded into each, per host. */
    private static final Map<NetHost, Map<String, Set<String>>> KNOWN_TABLES = new WeakHashMap<>();
    /** Inside every namespace: it forwards (between its two links only), and has no IPv6. */
    private static final Map<String, String> NETNS_SYSCTLS = orderedMap("net.ipv4.ip_forward", "1",
            "net.ipv6.conf.all.disable_ipv6", "1", "net.ipv6.conf.default.disable_ipv6", "1");
    private static final AtomicBoolean FORWARDING_LOGGED = new AtomicBoolean();

    private final NetHost host;
    private final String instanceId;
    private final String netns;
    private final String hostLink;
    private final Ipv4Block block;
    private final int slot;
    private boolean closed;

    private VethPath(NetHost host, String instanceId, String netns, String hostLink, Ipv4Block block, int slot) {
        this.host = host;
        this.instanceId = instanceId;
        this.netns = netns;
        this.hostLink = hostLink;
        this.block = block;
        this.slot = slot;
    }

    /**
     * Creates the path of {@code vmId} for {@code spec} in the first free block from a place its
     * name picks, its tap owned by {@code uid}:{@code gid} (the VMM's; {@link #ROOT_OWNED} for
     * root); on failure nothing is left.
     */
    public static VethPath create(NetworkSettings settings, String instanceId, String vmId, NetworkSpec spec, int uid, int gid)
            throws VmmException {
        return create(settings, instanceId, vmId, spec, uid, gid, NetHost.system(settings.commandTimeout().toSeconds()));
    }

    static VethPath create(NetworkSettings settings, String instanceId, String vmId, NetworkSpec spec, int uid, int gid, NetHost host)
            throws VmmException {
        if (!spec.hasPath()) {
            throw new IllegalArgumentException("a network spec of mode NONE has no path");
        }
        Ipv4Block block = settings.block();
        String ns = netnsName(instanceId, vmId);
        if (host.netnsExists(ns)) {
            throw new VmmException("network namespace " + ns + " already exists (a leftover of a crash? `ip netns del " + ns + "`)");
        }
        VethPath path = null;
        try {
            int first = Math.floorMod(ns.hashCode(), block.slots());
            for (int probe = 0; probe < Math.min(settings.maxProbes(), block.slots()) && path == null; probe++) {
                int slot = (first + probe) % block.slots();
                String link = HOST_LINK_PREFIX + slot;
                if (!host.linkExists(link) && addVeth(host, link, ns)) {
                    path = new VethPath(host, instanceId, ns, link, block, slot);
                }
            }
            if (path == null) {
                throw new VmmException("no free block for " + vmId + " in " + block + " after " + settings.maxProbes() + " tries");
            }
            path.configure(settings, spec, uid, gid);
            return path;
        } catch (VmmException | RuntimeException e) {
            try {
                if (path != null) {
                    path.close();
                } else {
                    if (host.netnsExists(ns)) {
                        host.ip(List.of("netns", "del", ns));
                    }
                    removeHostTableIfUnused(host, instanceId);
                }
            } catch (VmmException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    /**
     * Adds the veth pair, its peer in {@code ns} (made here on the first try, one process for
     * both). False when another path took the link's name first (the host link's name is the block's lock).
     */
    private static boolean addVeth(NetHost host, String link, String ns) throws VmmException {
        List<List<String>> batch = new ArrayList<>();
        if (!host.netnsExists(ns)) {
            batch.add(List.of("netns", "add", ns));
        }
        batch.add(List.of("link", "add", link, "type", "veth", "peer", "name", NS_VETH, "netns", ns));
        try {
            host.ipBatch(null, batch);
            return true;
        } catch (VmmException e) {
            if (e.getMessage().contains("File exists") && host.netnsExists(ns)) {
                return false;
            }
            throw e;
        }
    }

    /**
     * The path of a running microVM, found by its names (its namespace, the host link carrying
     * that alias): for adoption after a daemon restart, or a benchmark that did not restore the
     * microVM itself. Its rules are the ones loaded when it was made. Closing it removes it.
     */
    public static Optional<VethPath> existing(NetworkSettings settings, String instanceId, String vmId) {
        return existing(settings, instanceId, vmId, NetHost.system(settings.commandTimeout().toSeconds()));
    }

    static Optional<VethPath> existing(NetworkSettings settings, String instanceId, String vmId, NetHost host) {
        String ns = netnsName(instanceId, vmId);
        if (!host.netnsExists(ns)) {
            return Optional.empty();
        }
        Ipv4Block block = settings.block();
        return host.linkWithAlias(ns).filter(l -> l.matches(HOST_LINK_PREFIX + "\\d{1,7}"))
                .map(l -> Integer.parseInt(l.substring(HOST_LINK_PREFIX.length())))
                .filter(slot -> slot < block.slots())
                .map(slot -> new VethPath(host, instanceId, ns, HOST_LINK_PREFIX + slot, block, slot));
    }

    private void configure(NetworkSettings settings, NetworkSpec spec, int uid, int gid) throws VmmException {
        host.ipBatch(null, List.of(
                List.of("link", "set", "dev", hostLink, "alias", netns, "group", Integer.toString(group(instanceId)), "up"),
                List.of("addr", "add", address(HOST) + "/30", "dev", hostLink),
                List.of("route", "add", address(GUEST_LINK) + "/30", "via", address(NS_VETH_ADDRESS), "dev", hostLink)));
        List<String> tap = new ArrayList<>(List.of("tuntap", "add", "dev", TAP, "mode", "tap"));
        if (uid != ROOT_OWNED) {
            tap.addAll(List.of("user", Integer.toString(uid)));
        }
        if (gid != ROOT_OWNED) {
            tap.addAll(List.of("group", Integer.toString(gid)));
        }
        host.ipBatch(netns, List.of(
                List.of("link", "set", "lo", "up"),
                List.of("addr", "add", address(NS_VETH_ADDRESS) + "/30", "dev", NS_VETH),
                List.of("link", "set", NS_VETH, "up"),
                List.of("route", "add", "default", "via", address(HOST), "dev", NS_VETH),
                tap,
                List.of("addr", "add", address(NS_TAP_ADDRESS) + "/30", "dev", TAP),
                List.of("link", "set", TAP, "up")));
        // the host's walls first, then the namespace's; forwarding is per namespace (between the
        // veth and the tap only) and goes on last, once both say what may pass
        NamespaceRuleset rules = ruleset(settings, spec);
        ensureHostTable(host, hostTable(settings, instanceId), rules.daemonPorts());
        host.configureNetns(netns, NETNS_SYSCTLS, rules.render());
        if (spec.mode() == NetworkSpec.Mode.INTERNET && host.enableHostForwarding() && FORWARDING_LOGGED.compareAndSet(false, true)) {
            LOG.info("turned on the host's IPv4 forwarding (net.ipv4.ip_forward=1) for the first INTERNET network path; "
                    + "table inet {} confines what the microVMs' links may forward", hostTable(settings, instanceId).name());
        }
    }

    NamespaceRuleset ruleset(NetworkSettings settings, NetworkSpec spec) {
        List<String> blocked = new ArrayList<>(spec.blockedRanges());
        blocked.add(settings.range());
        return new NamespaceRuleset(NS_TABLE, TAP, NS_VETH, address(HOST), address(GUEST), spec.mode() == NetworkSpec.Mode.INTERNET,
                spec.dnsPort(), spec.httpPort(), spec.tlsPort(), blocked, settings.hostConnects());
    }

    /**
     * Creates the instance's host table unless this JVM knows it exists (a daemon before a
     * restart may have made it) and adds the ports it does not know are in it: nothing to run
     * on the host once both are known.
     */
    private static void ensureHostTable(NetHost host, HostTable table, List<String> ports) throws VmmException {
        synchronized (HOST_TABLES) {
            Map<String, Set<String>> known = KNOWN_TABLES.computeIfAbsent(host, h -> new HashMap<>());
            Set<String> loaded = known.get(table.name());
            StringBuilder script = new StringBuilder();
            if (loaded == null) {
                loaded = new HashSet<>();
                if (!host.hostTableExists(table.name())) {
                    script.append(table.create());
                }
            }
            List<String> missing = ports.stream().filter(p -> !known.getOrDefault(table.name(), Set.of()).contains(p)).toList();
            if (!missing.isEmpty()) {
                script.append(table.addPorts(missing));
            }
            if (!script.isEmpty()) {
                host.nft(script.toString());
            }
            loaded.addAll(missing);
            known.put(table.name(), loaded);
        }
    }

    /** The host table of an instance: {@code inet burrow-<instance>}. */
    static HostTable hostTable(NetworkSettings settings, String instanceId) {
        return new HostTable(hostTableName(instanceId), group(instanceId), settings.range(), HOST_LINK_PREFIX + "*");
    }

    public static String hostTableName(String instanceId) {
        return "burrow-" + instanceId;
    }

    /** The interface group of an instance's host links: what its host table matches them by. */
    static int group(String instanceId) {
        return GROUP_BASE | instanceId.hashCode() & GROUP_BITS;
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

    /** The host end of the path: where the daemon binds this microVM's DNS and proxy listeners. */
    public String hostAddress() {
        return address(HOST);
    }

    /** The guest's address. */
    public String guestAddress() {
        return address(GUEST);
    }

    /** The guest's gateway and resolver: the namespace's tap address (its DNS is DNAT'd to the daemon). */
    public String gatewayAddress() {
        return address(NS_TAP_ADDRESS);
    }

    /**
     * The agent builtin (agent 0.5.0, guest/agent/netcfg.h) that gives the guest its address,
     * route and resolver by ioctl: the image needs nothing. Like {@link #guestSetup()} it
     * replaces what an earlier run set.
     */
    public List<String> guestSetupBuiltin() {
        return List.of("net", GUEST_IFACE, guestAddress() + "/30", gatewayAddress(), gatewayAddress());
    }

    /**
     * The command that gives the guest its address, route and resolver with the image's tools
     * (busybox or iproute2 {@code ip}, {@code sh}, {@code mv}): for agents before the builtin. It replaces what a previous run left (a resume, a fork: another
     * block), so it may run again on a configured guest.
     */
    public List<String> guestSetup() {
        String gw = gatewayAddress();
        return List.of("sh", "-c", "ip link set " + GUEST_IFACE + " up && ip addr flush dev " + GUEST_IFACE
                + " && ip addr add " + guestAddress() + "/30 brd + dev " + GUEST_IFACE + " && ip route replace default via " + gw
                + " && printf 'nameserver " + gw + "\\n' > /etc/resolv.conf.burrow && mv -f /etc/resolv.conf.burrow /etc/resolv.conf");
    }

    /** Removes the host link, then the namespace (and what is in it once its VMM is gone), then an unused host table. Idempotent. */
    @Override
    public synchronized void close() throws VmmException {
        if (closed) {
            return;
        }
        closed = true;
        remove(host, instanceId, netns, Optional.of(hostLink));
    }

    /** Removes what a path of {@code vmId} left (its VMM died with the engine): its host link, found by alias, and its namespace. */
    static void removeLeftovers(String instanceId, String vmId, NetHost host) throws VmmException {
        String ns = netnsName(instanceId, vmId);
        remove(host, instanceId, ns, host.linkWithAlias(ns));
    }

    public static void removeLeftovers(String instanceId, String vmId) throws VmmException {
        removeLeftovers(instanceId, vmId, NetHost.system(NetworkSettings.DEFAULT_COMMAND_TIMEOUT.toSeconds()));
    }

    private static void remove(NetHost host, String instanceId, String ns, Optional<String> link) throws VmmException {
        VmmException failure = null;
        List<List<String>> batch = new ArrayList<>();
        link.filter(host::linkExists).ifPresent(l -> batch.add(List.of("link", "del", l)));
        if (host.netnsExists(ns)) {
            batch.add(List.of("netns", "del", ns));
        }
        try {
            if (!batch.isEmpty()) {
                host.ipBatch(null, batch);
            }
        } catch (VmmException e) {
            failure = e; // the namespace may be left: try it alone
        }
        if (failure != null && host.netnsExists(ns)) {
            try {
                host.ip(List.of("netns", "del", ns));
            } catch (VmmException e) {
                failure = chain(failure, e);
            }
        }
        try {
            removeHostTableIfUnused(host, instanceId);
        } catch (VmmException e) {
            failure = chain(failure, e);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Deletes the instance's host table when no namespace of the instance is left (it only guards their links). */
    private static void removeHostTableIfUnused(NetHost host, String instanceId) throws VmmException {
        String prefix = netnsName(instanceId, "");
        String name = hostTableName(instanceId);
        synchronized (HOST_TABLES) {
            Map<String, Set<String>> known = KNOWN_TABLES.computeIfAbsent(host, h -> new HashMap<>());
            if (host.netnsNames().stream().noneMatch(n -> n.startsWith(prefix)) && (known.containsKey(name) || host.hostTableExists(name))) {
                known.remove(name);
                host.nft(HostTable.delete(name));
            }
        }
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    private static VmmException chain(VmmException first, VmmException next) {
        if (first != null) {
            next.addSuppressed(first);
        }
        return next;
    }

    @Override
    public String toString() {
        return netns + " (" + hostLink + " " + hostAddress() + " ⇄ guest " + guestAddress() + ")";
    }
}
