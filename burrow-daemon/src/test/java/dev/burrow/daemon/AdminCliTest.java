package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.cli.Burrow;
import dev.burrow.cli.internal.CliEnv;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's admin verbs and {@code burrow up}'s key handover against a real burrowd (no microVM
 * is started): the client config ends up with a key of tenant {@code dev}, a second {@code up}
 * mints nothing, and that key is refused on the admin routes with the CLI's explanation.
 */
@Tag("security")
class AdminCliTest {
    private static TestDaemon daemon;

    @TempDir
    Path home;

    record Result(int code, String out, String err) {}

    @BeforeAll
    static void start() throws Exception {
        daemon = TestDaemon.start("admin-cli");
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) daemon.close();
    }

    private Result cli(Map<String, String> extra, String... args) {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        env.put("BURROW_URL", daemon.base);
        env.put("BURROW_DATA_DIR", daemon.dataDir.toString());
        env.putAll(extra);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Burrow.execute(new CliEnv(env, Map.of("user.home", home.toString()), new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), false, false), args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Result cli(String... args) {
        return cli(Map.of(), args);
    }

    private int devKeys() throws Exception {
        Result r = cli("admin", "key", "ls", "--tenant", "dev", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        return TestDaemon.JSON.readTree(r.out()).size();
    }

    @Test
    void upHandsTheClientConfigADevKeyOnceAndThatKeyCannotUseTheAdminRoutes() throws Exception {
        Result up = cli("up");
        assertThat(up.code()).as(up.err()).isZero();
        assertThat(up.out()).contains("already running");
        JsonNode config = TestDaemon.JSON.readTree(cli("config", "--json").out());
        String key = config.path("apiKey").asText();
        assertThat(key).isNotEmpty().isNotEqualTo(daemon.key);
        assertThat(Files.readString(home.resolve("config/burrow/config.json"))).doesNotContain(daemon.key);
        assertThat(devKeys()).isEqualTo(1);

        assertThat(cli("up").code()).isZero();
        assertThat(devKeys()).isEqualTo(1);   // the config's key still works: nothing minted

        Result ps = cli("ps", "--json");
        assertThat(ps.code()).as(ps.err()).isZero();
        Result forbidden = cli(Map.of("BURROW_ADMIN_KEY", key), "admin", "tenant", "ls");
        assertThat(forbidden.code()).isEqualTo(125);
        assertThat(forbidden.err()).contains("burrow admin needs the admin key");
        forbidden = cli(Map.of("BURROW_ADMIN_KEY", key), "image", "publish", "no-such-image");
        assertThat(forbidden.code()).isEqualTo(125);
        assertThat(forbidden.err()).contains("burrow admin needs the admin key");
        Result missing = cli("image", "publish", "no-such-image");
        assertThat(missing.code()).isEqualTo(125);
        assertThat(missing.err()).contains("no-such-image").doesNotContain("needs the admin key");
    }

    @Test
    void tenantsAndKeysRoundTripThroughTheRealRoutes() throws Exception {
        Result r = cli("admin", "tenant", "create", "acme-cli", "--quota", "vcpus=2,memory=1G");
        assertThat(r.code()).as(r.err()).isZero();
        r = cli("admin", "tenant", "ls");
        assertThat(r.out()).containsPattern("acme-cli +0/[^ ]+ +0/2 +0/1G");
        r = cli("admin", "tenant", "set", "acme-cli", "--quota", "vcpus=unlimited");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(TestDaemon.JSON.readTree(cli("admin", "tenant", "inspect", "acme-cli").out()).path("quotas").path("vcpus").isNull()).isTrue();

        r = cli("admin", "key", "create", "--tenant", "acme-cli", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode created = TestDaemon.JSON.readTree(r.out());
        String acmeKey = created.path("key").asText();
        assertThat(cli(Map.of("BURROW_API_KEY", acmeKey), "ps").code()).isZero();
        assertThat(cli("admin", "key", "ls", "--tenant", "acme-cli").out()).contains(created.path("id").asText()).doesNotContain(acmeKey);
        assertThat(cli("admin", "key", "revoke", created.path("id").asText()).code()).isZero();
        r = cli(Map.of("BURROW_API_KEY", acmeKey), "ps");
        assertThat(r.code()).isEqualTo(125);

        assertThat(cli("admin", "tenant", "rm", "acme-cli").code()).isZero();
        assertThat(cli("admin", "tenant", "inspect", "acme-cli").code()).isEqualTo(125);
        r = cli("admin", "tenant", "rm", "admin");
        assertThat(r.code()).isEqualTo(125);
    }
}
