package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code burrow up}'s key handover: the client config gets an API key of tenant {@value #DEV_TENANT},
 * never the admin key. A config that already holds a working non-admin key for this burrowd keeps
 * it (a second {@code up} mints nothing); one that holds an admin key (written before tenants
 * existed), a revoked key or none gets a new dev key, made with the admin key ({@link AdminKey}).
 */
final class DevKeyHandover {
    static final String DEV_TENANT = "dev";
    /** An admin-only list of one item: 403 = a working non-admin key, 200 = an admin key, 401 = not a key of this burrowd. */
    static final String ADMIN_PROBE = "/v1/admin/tenants?limit=1";
    /** How long a just-started burrowd may take to write admin.key (it writes it before it answers /readyz). */
    static final Duration ADMIN_KEY_WAIT = Duration.ofSeconds(2);
    private static final long ADMIN_KEY_POLL_MILLIS = 100;

    /** The key the config should hold (empty: leave the config as it is) and, when that is so, why. */
    record Outcome(Optional<String> key, boolean minted, String warning) {
        static Outcome keep(String key) {
            return new Outcome(Optional.of(key), false, null);
        }

        static Outcome warn(String warning) {
            return new Outcome(Optional.empty(), false, warning);
        }
    }

    private final CliEnv env;
    private final String url;
    private final Path dataDir;

    DevKeyHandover(CliEnv env, String url, Path dataDir) {
        this.env = env;
        this.url = url;
        this.dataDir = dataDir;
    }

    /** Decides on {@code storedKey} (the config file's key, or null) and mints a dev key when it must. */
    Outcome handOver(String storedKey) {
        String why;
        if (storedKey == null) {
            why = "the client config holds no key";
        } else {
            int status = probe(storedKey);
            if (status == 403) return Outcome.keep(storedKey);
            why = status == 200 ? "the client config holds an admin key" : "the client config's key is not accepted (HTTP " + status + ")";
        }
        Optional<String> admin = adminKey();
        if (admin.isEmpty()) {
            return Outcome.warn(why + ", and no key of tenant " + DEV_TENANT + " can be made without the admin key ("
                    + AdminKey.unreadable(dataDir) + "): run sudo ./burrow up, or set " + AdminKey.ENV + " or BURROW_API_KEY");
        }
        try {
            return new Outcome(Optional.of(mint(new ApiClient(url, admin.get()))), true, null);
        } catch (BurrowException e) {
            return Outcome.warn(why + " and no key of tenant " + DEV_TENANT + " could be made: " + e.getMessage());
        }
    }

    /** The status {@value #ADMIN_PROBE} answers {@code key}. */
    private int probe(String key) {
        try {
            new ApiClient(url, key).get(ADMIN_PROBE);
            return 200;
        } catch (BurrowException e) {
            if (e.status() == 0) throw e;   // burrowd unreachable: not a verdict on the key
            return e.status();
        }
    }

    /** Tenant {@value #DEV_TENANT} (created when missing) and a new key of it. */
    private String mint(ApiClient admin) {
        ObjectNode tenant = Json.object();
        tenant.put("name", DEV_TENANT);
        try {
            admin.post("/v1/admin/tenants", tenant);
        } catch (BurrowException e) {
            if (e.status() != 409) throw e;   // it exists already
        }
        ObjectNode request = Json.object();
        request.put("tenant", DEV_TENANT);
        JsonNode created = admin.post("/v1/admin/keys", request);
        String key = Json.text(created, "key");
        if (key.isEmpty()) throw new BurrowException("burrowd's answer holds no key");
        return key;
    }

    /** The admin key; a just-started burrowd gets a moment to have written it. */
    private Optional<String> adminKey() {
        long deadline = System.nanoTime() + ADMIN_KEY_WAIT.toNanos();
        while (true) {
            Optional<String> key = AdminKey.find(env, dataDir);
            if (key.isPresent() || Files.exists(AdminKey.file(dataDir)) || System.nanoTime() > deadline) return key;
            ImageCommands.sleep(ADMIN_KEY_POLL_MILLIS);
        }
    }
}
