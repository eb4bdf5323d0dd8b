package dev.burrow.vmm.net;

import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.net.internal.NetHost;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A host that keeps namespaces, host links and host tables in memory, records every {@code ip}
 * call (an nft load as {@code nft <netns|host>}, a sysctl as {@code sysctl <netns> <assignments>}),
 * and fails the ones a test picks.
 */
final class FakeNetHost implements NetHost {

    private static final Pattern TABLE = Pattern.compile("^table inet (\\S+) \\{", Pattern.MULTILINE);
    private static final Pattern DELETE = Pattern.compile("^delete table inet (\\S+)$", Pattern.MULTILINE);
    final List<String> calls = new ArrayList<>();
    /** Every nft script loaded, by where: a namespace's name or "host". */
    final Map<String, List<String>> scripts = new HashMap<>();
    final Set<String> hostTables = new HashSet<>();
    boolean forwarding;
    final Set<String> netns = new HashSet<>();
    /** Host links and their aliases ("" when none). */
    final Map<String, String> links = new HashMap<>();
    /** Links another engine creates between our check and our add. */
    final Set<String> racing = new HashSet<>();
    Predicate<String> fails = c -> false;

    @Override
    public String ip(List<String> args) throws VmmException {
        String call = String.join(" ", args);
        calls.add(call);
        if (fails.test(call)) {
            throw new VmmException("ip " + call + " failed (exit 2): RTNETLINK answers: Operation not permitted");
        }
        if (call.startsWith("netns add ")) {
            netns.add(args.get(2));
        } else if (call.startsWith("netns del ")) {
            netns.remove(args.get(2));
            links.values().removeIf(alias -> alias.equals(args.get(2))); // the pair dies with the namespace
        } else if (call.startsWith("link add ")) {
            String link = args.get(2);
            if (racing.remove(link)) {
                links.put(link, "");
            }
            if (links.containsKey(link)) {
                throw new VmmException("ip " + call + " failed (exit 2): RTNETLINK answers: File exists");
            }
            links.put(link, "");
        } else if (call.contains("link set dev ") && args.contains("alias")) {
            links.put(args.get(3), args.get(args.indexOf("alias") + 1));
        } else if (call.startsWith("link del ")) {
            links.remove(args.get(2));
        }
        return "";
    }

    @Override
    public void nft(String netns, String script) throws VmmException {
        String where = netns == null ? "host" : netns;
        String call = "nft " + where;
        calls.add(call);
        if (fails.test(call)) {
            throw new VmmException("nft -f - failed (exit 1): Error: Could not process rule: No such file or directory");
        }
        scripts.computeIfAbsent(where, k -> new ArrayList<>()).add(script);
        if (netns == null) {
            DELETE.matcher(script).results().forEach(m -> hostTables.remove(m.group(1)));
            TABLE.matcher(script).results().forEach(m -> hostTables.add(m.group(1)));
        }
    }

    @Override
    public boolean hostTableExists(String name) {
        return hostTables.contains(name);
    }

    @Override
    public void sysctl(String netns, List<String> assignments) throws VmmException {
        String call = "sysctl " + netns + " " + String.join(" ", assignments);
        calls.add(call);
        if (fails.test(call)) {
            throw new VmmException(call + " failed (exit 255): permission denied");
        }
    }

    @Override
    public boolean enableHostForwarding() {
        boolean was = forwarding;
        forwarding = true;
        return !was;
    }

    @Override
    public List<String> netnsNames() {
        return List.copyOf(netns);
    }

    @Override
    public boolean linkExists(String name) {
        return links.containsKey(name);
    }

    @Override
    public boolean netnsExists(String name) {
        return netns.contains(name);
    }

    @Override
    public Optional<String> linkWithAlias(String alias) {
        return links.entrySet().stream().filter(e -> e.getValue().equals(alias)).map(Map.Entry::getKey).findFirst();
    }
}
