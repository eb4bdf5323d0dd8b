package dev.burrow.vmm.jail.internal;

import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.jail.internal.Hierarchy.Version;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which hierarchy carries each controller, and where burrowd's own cgroup is in it: from
 * /proc/self/mountinfo (the cgroup and cgroup2 mounts) and /proc/self/cgroup (burrowd's path in
 * each). A controller bound to a v1 hierarchy is used there (hybrid hosts mount an empty unified
 * tree beside them); otherwise the unified tree must offer it.
 */
public final class MountedHierarchies {

    private MountedHierarchies() {}

    private record Mount(Version version, Set<String> options, String root, Path mountPoint) {}

    /**
     * The hierarchies carrying {@code controllers}, one per mount. {@code daemonLeaf} is the v2
     * leaf burrowd may have moved itself into: when burrowd's path ends with it, its parent is the base.
     */
    public static List<Hierarchy> read(Path sysfsRoot, Path procSelfCgroup, Path mountinfo, List<String> controllers,
                                       String daemonLeaf) throws VmmException {
        List<Mount> mounts = mounts(mountinfo);
        Map<String, String> v1Paths = new LinkedHashMap<>();
        String v2Path = null;
        for (String line : lines(procSelfCgroup)) {
            String[] f = line.split(":", 3);
            if (f.length != 3) {
                continue;
            }
            if (f[0].equals("0") && f[1].isEmpty()) {
                v2Path = f[2];
            } else {
                for (String c : f[1].split(",")) {
                    v1Paths.put(c, f[2]);
                }
            }
        }
        Map<Path, Hierarchy> out = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (String c : controllers) {
            Mount v1 = mounts.stream().filter(m -> m.version == Version.V1 && m.options.contains(c)).findFirst().orElse(null);
            Hierarchy h;
            if (v1 != null && v1Paths.containsKey(c)) {
                h = hierarchy(sysfsRoot, v1, Version.V1, v1Paths.get(c), daemonLeaf);
            } else {
                Mount v2 = mounts.stream().filter(m -> m.version == Version.V2).findFirst().orElse(null);
                if (v2 == null || v2Path == null
                        || !CgroupFiles.words(under(sysfsRoot, v2.mountPoint).resolve("cgroup.controllers")).contains(c)) {
                    missing.add(c);
                    continue;
                }
                h = hierarchy(sysfsRoot, v2, Version.V2, v2Path, daemonLeaf);
            }
            Hierarchy known = out.get(h.base());
            Set<String> cs = new LinkedHashSet<>(known == null ? Set.of() : known.controllers());
            cs.add(c);
            out.put(h.base(), new Hierarchy(h.version(), Collections.unmodifiableSet(cs), h.base(), h.isRoot()));
        }
        if (!missing.isEmpty()) {
            throw new VmmException("no mounted cgroup hierarchy offers the controllers " + missing + " (read " + mountinfo
                    + " and " + procSelfCgroup + "); Burrow limits every microVM's cpu, memory and pids");
        }
        return List.copyOf(out.values());
    }

    private static Hierarchy hierarchy(Path sysfsRoot, Mount m, Version v, String selfPath, String daemonLeaf) throws VmmException {
        String root = m.root.endsWith("/") ? m.root : m.root + "/";
        String relative;
        if (m.root.equals("/")) {
            relative = selfPath;
        } else if (selfPath.equals(m.root) || selfPath.startsWith(root)) {
            relative = selfPath.substring(m.root.length());
        } else {
            throw new VmmException("burrowd's cgroup " + selfPath + " is not inside the mount " + m.mountPoint + " (root " + m.root + ")");
        }
        Path base = under(sysfsRoot, m.mountPoint);
        for (String seg : relative.split("/")) {
            if (seg.isEmpty()) {
                continue;
            }
            if (seg.equals("..") || seg.equals(".")) {
                throw new VmmException("unexpected cgroup path " + selfPath);
            }
            base = base.resolve(seg);
        }
        if (v == Version.V2 && base.getFileName() != null && base.getFileName().toString().equals(daemonLeaf)) {
            base = base.getParent();
        }
        return new Hierarchy(v, Set.of(), base, base.equals(under(sysfsRoot, m.mountPoint)));
    }

    private static Path under(Path sysfsRoot, Path mountPoint) {
        return sysfsRoot.resolve(sysfsRoot.getRoot().relativize(mountPoint));
    }

    /** The cgroup and cgroup2 mounts: "id parent maj:min root mountpoint options [optional...] - fstype source superoptions". */
    private static List<Mount> mounts(Path mountinfo) throws VmmException {
        List<Mount> out = new ArrayList<>();
        for (String line : lines(mountinfo)) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (dash < 6 || f.length < dash + 4) {
                continue;
            }
            String type = f[dash + 1];
            Version v = type.equals("cgroup2") ? Version.V2 : type.equals("cgroup") ? Version.V1 : null;
            if (v != null) {
                out.add(new Mount(v, Set.of(f[dash + 3].split(",")), unescape(f[3]), Path.of(unescape(f[4]))));
            }
        }
        return out;
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo. */
    private static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    private static List<String> lines(Path file) throws VmmException {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new VmmException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
