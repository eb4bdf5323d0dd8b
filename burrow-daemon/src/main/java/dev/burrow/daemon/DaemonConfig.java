package dev.burrow.daemon;

import dev.burrow.daemon.api.ApiLimits;
import dev.burrow.daemon.aws.S3Settings;
import dev.burrow.daemon.egress.EgressSettings;
import dev.burrow.daemon.images.builtin.ManagedBase;
import dev.burrow.daemon.images.builtin.ManagedBases;
import dev.burrow.daemon.microvms.lifecycle.LifecycleSettings;
import dev.burrow.daemon.registries.RegistryHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * burrowd's settings, every one from the environment with its default here (SPEC §7); the
 * API's limits against hostile clients have theirs in {@link ApiLimits#DEFAULTS}. The
 * development profile ({@code BURROW_DEV=1}, what `burrow up` and tests use) lowers the
 * lifecycle minimums to 1 s and builds the public demo image on first start. Egress settings
 * (ports, blocked ranges, DNS upstreams) have theirs in {@link EgressSettings#DEFAULTS}. Registry
 * pulls use HTTPS except to loopback and {@code BURROW_INSECURE_REGISTRIES}. The development
 * profile also publishes the managed bases {@code BURROW_MANAGED_BASES} names (default: all of
 * them; {@code none}: no base), built in the background after the demo. {@code BURROW_S3_*}
 * name the S3-compatible endpoint codeArtifact {@code s3://} URIs come from ({@link S3Settings}).
 */
public record DaemonConfig(Path dataDir, Path cacheDir, String host, int port, boolean dev, int minDurationSeconds,
                           int maxDurationSeconds, int maxConcurrentBuilds, ApiLimits apiLimits, LifecycleSettings lifecycle,
                           EgressSettings egress, Set<String> insecureRegistries, List<ManagedBase> managedBases, S3Settings s3) {

    public DaemonConfig {
        insecureRegistries = Set.copyOf(insecureRegistries);
        managedBases = List.copyOf(managedBases);
        Objects.requireNonNull(s3);
    }

    /** No S3 endpoint (codeArtifact s3:// URIs refused). */
    public DaemonConfig(Path dataDir, Path cacheDir, String host, int port, boolean dev, int minDurationSeconds,
                        int maxDurationSeconds, int maxConcurrentBuilds, ApiLimits apiLimits, LifecycleSettings lifecycle,
                        EgressSettings egress, Set<String> insecureRegistries, List<ManagedBase> managedBases) {
        this(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits, lifecycle,
                egress, insecureRegistries, managedBases, S3Settings.NONE);
    }

    /** No insecure registry besides loopback, no managed bases published (tests that want some say so). */
    public DaemonConfig(Path dataDir, Path cacheDir, String host, int port, boolean dev, int minDurationSeconds,
                        int maxDurationSeconds, int maxConcurrentBuilds, ApiLimits apiLimits, LifecycleSettings lifecycle,
                        EgressSettings egress) {
        this(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits, lifecycle,
                egress, Set.of(), List.of());
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
        return new DaemonConfig(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, limits, lifecycle, egress,
                insecureRegistries, managedBases, s3);
    }

    public DaemonConfig withLifecycle(LifecycleSettings l) {
        return new DaemonConfig(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits, l, egress,
                insecureRegistries, managedBases, s3);
    }

    public DaemonConfig withEgress(EgressSettings e) {
        return new DaemonConfig(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits,
                lifecycle, e, insecureRegistries, managedBases, s3);
    }

    /** Registries (host or host:port) reached over plain HTTP besides loopback, which always is. */
    public DaemonConfig withInsecureRegistries(Set<String> hosts) {
        return new DaemonConfig(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits,
                lifecycle, egress, hosts, managedBases, s3);
    }

    /** The managed bases the development profile publishes as public images of the admin tenant (docs/bases.md). */
    public DaemonConfig withManagedBases(List<ManagedBase> bases) {
        return new DaemonConfig(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits,
                lifecycle, egress, insecureRegistries, bases, s3);
    }

    /** The S3-compatible endpoint codeArtifact s3:// URIs are fetched from ({@link S3Settings}). */
    public DaemonConfig withS3(S3Settings settings) {
        return new DaemonConfig(dataDir, cacheDir, host, port, dev, minDurationSeconds, maxDurationSeconds, maxConcurrentBuilds, apiLimits,
                lifecycle, egress, insecureRegistries, managedBases, settings);
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
                EgressSettings.fromEnvironment(env), insecureRegistriesFrom(env),
                ManagedBases.select(env.get(ManagedBases.SETTING)), S3Settings.fromEnvironment(env));
    }

    /**
     * BURROW_INSECURE_REGISTRIES: registries (host or host:port, comma-separated) that may be
     * pulled from over plain HTTP; loopback always may. A scheme or path is refused at start.
     */
    static Set<String> insecureRegistriesFrom(Map<String, String> env) {
        String v = env.get("BURROW_INSECURE_REGISTRIES");
        if (v == null || v.isBlank()) {
            return Set.of();
        }
        Set<String> hosts = new LinkedHashSet<>();
        for (String part : v.split(",")) {
            String h = part.strip();
            if (h.isEmpty()) {
                continue;
            }
            RegistryHost.problem(h).ifPresent(p -> {
                throw new IllegalArgumentException("BURROW_INSECURE_REGISTRIES: '" + h + "': " + p);
            });
            hosts.add(RegistryHost.normalize(h));
        }
        return hosts;
    }

    /**
     * BURROW_MEMORY_TIER_SECONDS (how long a suspended microVM keeps its stopped VMM; 0 = disk at once), BURROW_MIN_AVAILABLE_MIB,
     * BURROW_STANDBY_MEMORY_MIB (the standby pool's budget; 0 = no standbys).
     */
    static LifecycleSettings lifecycleFrom(Map<String, String> env) {
        LifecycleSettings l = LifecycleSettings.DEFAULTS;
        String tier = env.get("BURROW_MEMORY_TIER_SECONDS");
        if (tier != null && !tier.isBlank()) {
            l = l.withMemoryTier(Duration.ofSeconds(nonNegative("BURROW_MEMORY_TIER_SECONDS", tier)));
        }
        String standby = env.get("BURROW_STANDBY_MEMORY_MIB");
        if (standby != null && !standby.isBlank()) {
            l = l.withStandbyMemoryMiB(nonNegative("BURROW_STANDBY_MEMORY_MIB", standby));
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
