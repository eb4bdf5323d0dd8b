package dev.burrow.daemon;

import dev.burrow.daemon.api.ApiLimits;
import dev.burrow.daemon.egress.EgressSettings;
import dev.burrow.daemon.microvms.lifecycle.LifecycleSettings;
import java.nio.file.Path;
import dev.burrow.daemon.images.builtin.ManagedBase;
import dev.burrow.daemon.images.builtin.ManagedBases;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * burrowd's settings, every one from the environment with its default here (SPEC §7); the
 * API's limits against hostile clients have theirs in {@link ApiLimits#DEFAULTS}. The
 * development profile ({@code BURROW_DEV=1}, what `burrow up` and tests use) lowers the
 * lifecycle minimums to 1 s and builds the public demo image on first start. Egress settings
 * (ports, blocked ranges, DNS upstreams) have theirs in {@link EgressSettings#DEFAULTS}. The
 * development profile also publishes the managed bases {@code BURROW_MANAGED_BASES} names
 * (default: all of them; {@code none}: no base), built in the background after the demo.
 */
public record DaemonConfig(Path dataDir, Path cacheDir, String host, int port, boolean dev, int minDurationSeconds,
                           int maxDurationSeconds, int maxConcurrentBuilds, ApiLimits apiLimits, LifecycleSettings lifecycle,
                           EgressSettings egress, List<ManagedBase> managedBases) {

    public DaemonConfig {
        managedBases = List.copyOf(managedBases);
    }

    /** No managed bases published (tests that want some say so with {@link #withManagedBases}). */
    public DaemonConfig(Path dataDir, Path cacheDir, String host, int port, boolean dev, int minDurationSeconds,
                        int maxDurationSeconds, int maxConcurrentBuilds, ApiLimits apiLimits, LifecycleSettings lifecycle,
                        EgressSettings egress) {
        this(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits, lifecycle,
                egress, List.of());
    }

    /** Egress from the environment's defaults (the host's resolvers as upstreams). */
    public DaemonConfig(Path dataDir, Path cacheDir, String host, int port, boolean dev, int minDurationSeconds,
                        int maxDurationSeconds, int maxConcurrentBuilds, ApiLimits apiLimits, LifecycleSettings lifecycle) {
        this(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits, lifecycle,
                EgressSettings.fromEnvironment(Map.of()));
    }

    public DaemonConfig(Path dataDir, Path cacheDir, String host, int port, boolean dev, int minDurationSeconds,
                        int maxDurationSeconds, int maxConcurrentBuilds, ApiLimits apiLimits) {
        this(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits,
                LifecycleSettings.DEFAULTS);
    }

    /** The settings with the default API limits. */
    public DaemonConfig(Path dataDir, Path cacheDir, String host, int port, boolean dev, int minDurationSeconds,
                        int maxDurationSeconds, int maxConcurrentBuilds) {
        this(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, ApiLimits.DEFAULTS);
    }

    public DaemonConfig withApiLimits(ApiLimits limits) {
        return new DaemonConfig(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, limits, lifecycle, egress, managedBases);
    }

    public DaemonConfig withLifecycle(LifecycleSettings l) {
        return new DaemonConfig(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits, l, egress, managedBases);
    }

    public DaemonConfig withEgress(EgressSettings e) {
        return new DaemonConfig(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits,
                lifecycle, e, managedBases);
    }

    /** The managed bases the development profile publishes as public images of the admin tenant (docs/bases.md). */
    public DaemonConfig withManagedBases(List<ManagedBase> bases) {
        return new DaemonConfig(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits,
                lifecycle, egress, bases);
    }

    public static DaemonConfig fromEnvironment(Map<String, String> env) {
        Path data = Path.of(env.getOrDefault("BURROW_DATA_DIR", "/var/lib/burrow")).toAbsolutePath();
        Path cache = Path.of(env.getOrDefault("BURROW_CACHE_DIR", "/var/cache/burrow")).toAbsolutePath();
        String listen = env.getOrDefault("BURROW_LISTEN", "127.0.0.1:7070");
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("BURROW_LISTEN must be host:port, e.g. 127.0.0.1:7070; got " + listen);
        }
        boolean dev = "1".equals(env.get("BURROW_DEV")) || "true".equalsIgnoreCase(env.get("BURROW_DEV"));
        return new DaemonConfig(data, cache, listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1)), dev,
                dev ? 1 : 60, 28800, 1, ApiLimits.fromEnvironment(env), lifecycleFrom(env),
                EgressSettings.fromEnvironment(env), ManagedBases.select(env.get(ManagedBases.SETTING)));
    }

    /** BURROW_MEMORY_TIER_SECONDS (how long a suspended microVM keeps its stopped VMM; 0 = disk at once), BURROW_MIN_AVAILABLE_MIB. */
    static LifecycleSettings lifecycleFrom(Map<String, String> env) {
        LifecycleSettings l = LifecycleSettings.DEFAULTS;
        String tier = env.get("BURROW_MEMORY_TIER_SECONDS");
        if (tier != null && !tier.isBlank()) {
            l = l.withMemoryTier(Duration.ofSeconds(nonNegative("BURROW_MEMORY_TIER_SECONDS", tier)));
        }
        String avail = env.get("BURROW_MIN_AVAILABLE_MIB");
        if (avail != null && !avail.isBlank()) {
            l = l.withMinAvailableMiB(nonNegative("BURROW_MIN_AVAILABLE_MIB", avail));
        }
        return l;
    }

    private static long nonNegative(String name, String value) {
        try {
            long v = Long.parseLong(value.strip());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(name + " must be a whole number of 0 or more; got '" + value + "'");
    }
}
