package dev.burrow.vmm.jail.internal;

import java.nio.file.Path;
import java.util.Set;

/**
 * One cgroup hierarchy as burrowd uses it.
 *
 * @param version     v1 (one mount per controller set) or v2 (the unified tree)
 * @param controllers the controllers Burrow limits through it
 * @param base        the cgroup burrowd runs in, as a directory of the mounted hierarchy
 * @param isRoot      whether {@code base} is the hierarchy's root (v2: exempt from the no-internal-process rule)
 */
public record Hierarchy(Version version, Set<String> controllers, Path base, boolean isRoot) {

    public enum Version { V1, V2 }
}
