package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.cli.internal.ClientConfig;
import dev.burrow.cli.internal.CliEnv;
import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientConfigTest {
    @TempDir
    Path tmp;

    private CliEnv env(Map<String, String> vars) {
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        return new CliEnv(vars, Map.of("user.home", tmp.toString()), new ByteArrayInputStream(new byte[0]), sink, sink, true, false);
    }

    @Test
    void theFileIsWrittenMode0600AndReadBack() throws Exception {
        Map<String, String> vars = new HashMap<>();
        vars.put("HOME", tmp.toString());
        vars.put("XDG_CONFIG_HOME", tmp.resolve("xdg").toString());
        CliEnv env = env(vars);
        Path file = ClientConfig.write(env, "http://127.0.0.1:7070", "bk_secret", "/var/lib/burrow");
        assertThat(file).isEqualTo(tmp.resolve("xdg/burrow/config.json"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(new ObjectMapper().readTree(file.toFile()).path("apiKey").asText()).isEqualTo("bk_secret");
        // overwriting keeps the mode
        ClientConfig.write(env, "http://127.0.0.1:7070", "bk_other", "/var/lib/burrow");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

        ClientConfig c = ClientConfig.load(env);
        assertThat(c.url()).isEqualTo("http://127.0.0.1:7070");
        assertThat(c.apiKey()).isEqualTo("bk_other");
        assertThat(c.dataDir()).isEqualTo("/var/lib/burrow");
    }

    @Test
    void withoutXdgItLivesUnderHomeDotConfig() {
        CliEnv env = env(Map.of("HOME", tmp.toString()));
        assertThat(ClientConfig.path(env)).isEqualTo(tmp.resolve(".config/burrow/config.json"));
    }

    @Test
    void theEnvironmentOverridesTheFile() {
        Map<String, String> vars = new HashMap<>(Map.of("HOME", tmp.toString()));
        ClientConfig.write(env(vars), "http://127.0.0.1:7070", "bk_file", "/d");
        vars.put("BURROW_URL", "http://10.0.0.1:9999/");
        vars.put("BURROW_API_KEY", "bk_env");
        ClientConfig c = ClientConfig.load(env(vars));
        assertThat(c.url()).isEqualTo("http://10.0.0.1:9999");
        assertThat(c.apiKey()).isEqualTo("bk_env");
        assertThat(c.dataDir()).isEqualTo("/d");
    }

    @Test
    void underSudoItIsTheInvokingUsersFile() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        String user = null, home = null;
        for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
            String[] f = line.split(":");
            if (f.length >= 6 && !f[0].equals("root") && f[5].startsWith("/")) {
                user = f[0];
                home = f[5];
                break;
            }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(user != null);
        CliEnv env = env(Map.of("HOME", tmp.toString(), "XDG_CONFIG_HOME", tmp.toString(), "SUDO_USER", user));
        assertThat(ClientConfig.path(env)).isEqualTo(Path.of(home, ".config/burrow/config.json"));
    }

    @Test
    void noFileMeansDefaults() {
        ClientConfig c = ClientConfig.load(env(Map.of("HOME", tmp.toString())));
        assertThat(c.url()).isEqualTo("http://127.0.0.1:7070");
        assertThat(c.apiKey()).isNull();
    }
}
