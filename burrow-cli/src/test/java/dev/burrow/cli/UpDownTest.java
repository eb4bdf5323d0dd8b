package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code up} starts a daemon process in the background (here the test class path's stand-in
 * {@code dev.burrow.daemon.Burrowd}), waits for /readyz and gives the client config a key of
 * tenant dev made with the daemon's admin.key (never the admin key itself); a second {@code up}
 * reports it and keeps that key; {@code down} stops it.
 */
class UpDownTest {
    @TempDir
    Path tmp;

    CliHarness cli;
    Path data;

    @BeforeEach
    void setUp() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        data = tmp.resolve("data");
        cli = new CliHarness(tmp);
        cli.env.put("BURROW_URL", "http://127.0.0.1:" + port);
        cli.env.put("BURROW_DATA_DIR", data.toString());
        cli.env.put("BURROW_CACHE_DIR", tmp.resolve("cache").toString());
        cli.props.put("burrow.daemon.classpath", System.getProperty("java.class.path"));
    }

    @AfterEach
    void killLeftovers() throws Exception {
        Path pid = data.resolve("burrowd.pid");
        if (Files.exists(pid)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void upWritesTheConfigAndDownStopsIt() throws Exception {
        var r = cli.run("up");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("burrowd 0.1.0-fake").contains("is running at " + cli.env.get("BURROW_URL"))
                .contains("./burrow run demo").contains("python3 -c \"print(6*7)\"");
        assertThat(r.err()).contains("ready");

        Path config = tmp.resolve("config/burrow/config.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");
        JsonNode c = new ObjectMapper().readTree(config.toFile());
        String adminKey = Files.readString(data.resolve("admin.key")).trim();
        assertThat(c.path("apiKey").asText()).isNotEqualTo(adminKey).startsWith("bk_dev_");
        assertThat(minted()).containsExactly("dev " + c.path("apiKey").asText());
        assertThat(c.path("dataDir").asText()).isEqualTo(data.toString());
        assertThat(c.path("url").asText()).isEqualTo(cli.env.get("BURROW_URL"));
        assertThat(Files.readString(data.resolve("env-seen"))).contains("BURROW_DEV=1").contains(tmp.resolve("cache").toString());
        assertThat(Files.readString(data.resolve("env-seen")))
                .contains("BURROW_LOG_FILE=" + data.resolve("logs/burrowd.log"))   // burrowd rotates its own log there
                .contains("-Xmx512m").contains("-XX:+ExitOnOutOfMemoryError");   // the heap is bounded explicitly
        assertThat(data.resolve("logs/burrowd.out")).content().contains("fake burrowd listening");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("logs")))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("logs/burrowd.out")))).isEqualTo("rw-------");

        r = cli.run("up");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("already running").contains("burrowd 0.1.0-fake");
        assertThat(minted()).hasSize(1);   // the config's dev key still works: no new one
        assertThat(new ObjectMapper().readTree(config.toFile()).path("apiKey").asText()).isEqualTo(c.path("apiKey").asText());

        long pid = Long.parseLong(Files.readString(data.resolve("burrowd.pid")).trim());
        r = cli.run("down");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(data.resolve("burrowd.pid")).doesNotExist();

        r = cli.run("down");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("not running");
    }

    private List<String> minted() throws Exception {
        Path file = data.resolve("keys-minted");
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    private void writeConfigKey(String key) throws Exception {
        Path config = tmp.resolve("config/burrow/config.json");
        Files.writeString(config, "{\"url\":\"" + cli.env.get("BURROW_URL") + "\",\"apiKey\":\"" + key
                + "\",\"dataDir\":\"" + data + "\"}\n");
    }

    private String configKey() throws Exception {
        var r = cli.run("config", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out()).path("apiKey").asText();
    }

    @Test
    void aConfigHoldingTheAdminKeyFromBeforeTenantsGetsADevKeyInstead() throws Exception {
        assertThat(cli.run("up").code()).isZero();
        String adminKey = Files.readString(data.resolve("admin.key")).trim();
        writeConfigKey(adminKey);

        var r = cli.run("up");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("new key of tenant dev");
        String key = configKey();
        assertThat(key).isNotEqualTo(adminKey).startsWith("bk_dev_");
        assertThat(minted()).hasSize(2).last().isEqualTo("dev " + key);
        assertThat(Files.readString(tmp.resolve("config/burrow/config.json"))).doesNotContain(adminKey);
        assertThat(cli.run("run", "demo").code()).isZero();   // the dev key works for the data plane
    }

    @Test
    void aRevokedOrForeignKeyIsReplacedButAnUnreadableAdminKeyOnlyWarns() throws Exception {
        assertThat(cli.run("up").code()).isZero();
        writeConfigKey("bk_not_a_key_of_this_daemon");
        var r = cli.run("up");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(configKey()).startsWith("bk_dev_");
        assertThat(minted()).hasSize(2);

        writeConfigKey("bk_not_a_key_of_this_daemon");
        cli.env.put("BURROW_DATA_DIR", tmp.resolve("not-the-daemons").toString());   // no admin.key there
        r = cli.run("up");
        assertThat(r.code()).as(r.err()).isZero();   // burrowd is up; only the handover could not happen
        assertThat(r.err()).contains("warning").contains("is not accepted (HTTP 401)")
                .contains("no key of tenant dev can be made without the admin key (cannot read ").contains("BURROW_ADMIN_KEY");
        assertThat(configKey()).isEqualTo("bk_not_a_key_of_this_daemon");
        assertThat(minted()).hasSize(2);
        cli.env.put("BURROW_DATA_DIR", data.toString());
    }

    @Test
    void daemonRunsInTheForegroundAndPassesItsExitCodeOn() {
        cli.env.put("BURROW_LISTEN", "no-port-here");
        var r = cli.run("daemon");
        assertThat(r.code()).isEqualTo(1);
    }

    @Test
    void downWithSuspendAllSuspendsEveryRunningMicroVmBeforeStopping() throws Exception {
        assertThat(cli.run("up").code()).isZero();
        for (int i = 0; i < 3; i++) {
            assertThat(cli.run("run", "demo").code()).isZero();
        }
        var r = cli.run("down", "--suspend-all");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("suspended 3 microVM(s)").contains("stopped");
    }

    @Test
    void downWithBothEndFlagsRefusesAndWithoutADaemonCannotSuspendAnything() {
        var both = cli.run("down", "--suspend-all", "--terminate-all");
        assertThat(both.code()).isEqualTo(125);
        assertThat(both.err()).contains("choose one");
        var none = cli.run("down", "--suspend-all");
        assertThat(none.code()).isEqualTo(125);
        assertThat(none.err()).contains("does not answer").contains("cannot be suspended");
    }

    @Test
    void upWithoutTheLauncherSaysSo() {
        cli.props.remove("burrow.daemon.classpath");
        var r = cli.run("up");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("./burrow launcher");
    }
}
