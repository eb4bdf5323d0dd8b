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

/** A host that keeps namespaces and host links in memory, records every {@code ip} call, and fails the ones a test picks. */
final class FakeNetHost implements NetHost {

    final List<String> calls = new ArrayList<>();
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
        } else if (call.startsWith("link set dev ") && args.contains("alias")) {
            links.put(args.get(3), args.get(args.indexOf("alias") + 1));
        } else if (call.startsWith("link del ")) {
            links.remove(args.get(2));
        }
        return "";
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
