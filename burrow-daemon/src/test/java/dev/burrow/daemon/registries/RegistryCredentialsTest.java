package dev.burrow.daemon.registries;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Tenants;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryCredentialsTest {

    private static final String PASSWORD = "Pa55-only-in-the-sealed-column";
    private static final String TOKEN = "tok-only-in-the-sealed-column-0123456789";
    private static final Instant NOW = Instant.parse("2026-12-01T19:00:00Z");

    @TempDir
    Path dir;

    Database db;
    RegistryCredentials creds;
    String a;
    String b;

    @BeforeEach
    void open() throws IOException {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        a = new Tenants(db).create("a", null).orElseThrow().id();
        b = new Tenants(db).create("b", null).orElseThrow().id();
        creds = new RegistryCredentials(db, SecretBox.open(dir), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void aLoginIsReadBackWhole() throws IOException {
        creds.put(a, "Registry.Example:5000", RegistryLogin.basic("alice", PASSWORD));
        assertThat(creds.login(a, "registry.example:5000")).contains(RegistryLogin.basic("alice", PASSWORD));
        assertThat(creds.get(a, "registry.example:5000"))
                .contains(new RegistryEntry("registry.example:5000", RegistryLogin.Kind.BASIC, "alice", NOW));
    }

    @Test
    void aSecondPutReplacesTheLoginOfThatHost() throws IOException {
        creds.put(a, "r.example", RegistryLogin.basic("alice", PASSWORD));
        creds.put(a, "r.example", RegistryLogin.token(TOKEN));
        assertThat(creds.list(a)).containsExactly(new RegistryEntry("r.example", RegistryLogin.Kind.TOKEN, null, NOW));
        assertThat(creds.login(a, "r.example")).contains(RegistryLogin.token(TOKEN));
    }

    @Test
    void anotherTenantSeesNothingOfALogin() throws IOException {
        creds.put(a, "r.example", RegistryLogin.basic("alice", PASSWORD));
        assertThat(creds.list(b)).isEmpty();
        assertThat(creds.get(b, "r.example")).isEmpty();
        assertThat(creds.login(b, "r.example")).isEmpty();
        assertThat(creds.delete(b, "r.example")).isFalse();
        assertThat(creds.login(a, "r.example")).isPresent();
    }

    @Test
    void theListIsOrderedByHostAndLogoutRemovesOne() {
        creds.put(a, "z.example", RegistryLogin.token(TOKEN));
        creds.put(a, "a.example", RegistryLogin.basic("u", PASSWORD));
        assertThat(creds.list(a)).extracting(RegistryEntry::host).containsExactly("a.example", "z.example");
        assertThat(creds.delete(a, "A.example")).isTrue();
        assertThat(creds.list(a)).extracting(RegistryEntry::host).containsExactly("z.example");
    }

    @Test
    void aDeletedTenantsLoginsGoWithIt() {
        creds.put(b, "r.example", RegistryLogin.token(TOKEN));
        assertThat(new Tenants(db).delete(b)).isTrue();
        int rows = db.read(c -> {
            try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM registry_credentials")) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertThat(rows).isZero();
    }

    @Test
    void aTenantKeepsABoundedNumberOfLogins() {
        for (int i = 0; i < RegistryCredentials.MAX_PER_TENANT; i++) {
            assertThat(creds.put(a, "r" + i + ".example", RegistryLogin.token(TOKEN))).isPresent();
        }
        assertThat(creds.put(a, "one-more.example", RegistryLogin.token(TOKEN))).isEmpty();
        assertThat(creds.put(a, "r0.example", RegistryLogin.basic("u", PASSWORD))).as("replacing one is no new login").isPresent();
    }

    @Tag("hostile")
    @Test
    void noDatabaseFileHoldsASecretInTheClear() throws IOException {
        creds.put(a, "r.example", RegistryLogin.basic("alice", PASSWORD));
        creds.put(b, "r.example", RegistryLogin.token(TOKEN));
        db.close();
        List<String> leaks = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                if (text.contains(PASSWORD) || text.contains(TOKEN)) {
                    leaks.add(f.getFileName().toString());
                }
            }
        }
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        assertThat(leaks).isEmpty();
        assertThat(new RegistryCredentials(db, SecretBox.open(dir), Clock.systemUTC()).login(a, "r.example"))
                .as("the same key file opens it after a restart").contains(RegistryLogin.basic("alice", PASSWORD));
    }

    @Tag("hostile")
    @Test
    void aSealedSecretCopiedToAnotherTenantsRowDoesNotOpen() throws IOException {
        creds.put(a, "r.example", RegistryLogin.basic("alice", PASSWORD));
        creds.put(b, "r.example", RegistryLogin.basic("alice", "b's own password"));
        db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE registry_credentials SET secret = "
                    + "(SELECT secret FROM registry_credentials WHERE tenant_id = ?) WHERE tenant_id = ?")) {
                ps.setString(1, a);
                ps.setString(2, b);
                return ps.executeUpdate();
            }
        });
        assertThatThrownBy(() -> creds.login(b, "r.example")).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot be decrypted").hasMessageContaining("log in to r.example again")
                .hasMessageNotContaining(PASSWORD);
    }

    @Test
    void theKeyFileIsTheOwnersOnlyAndAnotherKeyOpensNothing() throws IOException {
        creds.put(a, "r.example", RegistryLogin.token(TOKEN));
        Path key = dir.resolve(SecretBox.KEY_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        byte[] other = new byte[SecretBox.KEY_BYTES];
        new SecureRandom().nextBytes(other);
        Files.write(key, other);
        RegistryCredentials rekeyed = new RegistryCredentials(db, SecretBox.open(dir), Clock.systemUTC());
        assertThatThrownBy(() -> rekeyed.login(a, "r.example")).hasMessageContaining(SecretBox.KEY_FILE);
    }

    @Tag("hostile")
    @Test
    void aKeyFileOthersCanReadOrOfTheWrongSizeIsRefused() throws IOException {
        Path key = dir.resolve(SecretBox.KEY_FILE);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> SecretBox.open(dir)).hasMessageContaining("readable by others");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Files.write(key, new byte[7]);
        assertThatThrownBy(() -> SecretBox.open(dir)).hasMessageContaining("7 bytes");
    }

    @Test
    void aSealedValueDiffersEachTimeAndTamperingIsDetected() throws Exception {
        SecretBox box = SecretBox.open(dir);
        byte[] one = box.seal(PASSWORD, "ctx");
        byte[] two = box.seal(PASSWORD, "ctx");
        assertThat(one).isNotEqualTo(two);
        assertThat(box.open(two, "ctx")).isEqualTo(PASSWORD);
        one[one.length - 1] ^= 1;
        assertThatThrownBy(() -> box.open(one, "ctx")).isInstanceOf(GeneralSecurityException.class);
        assertThatThrownBy(() -> box.open(two, "other")).isInstanceOf(GeneralSecurityException.class);
    }

    @Test
    void hostsAreCheckedAsHostAndPort() {
        assertThat(RegistryHost.problem("ghcr.io")).isEmpty();
        assertThat(RegistryHost.problem("127.0.0.1:5000")).isEmpty();
        assertThat(RegistryHost.problem("[::1]:5000")).hasValueSatisfying(p -> assertThat(p).contains("IPv6"));
        assertThat(RegistryHost.problem("https://ghcr.io")).hasValueSatisfying(p -> assertThat(p).contains("without a scheme"));
        assertThat(RegistryHost.problem("ghcr.io/org")).hasValueSatisfying(p -> assertThat(p).contains("without a path"));
        assertThat(RegistryHost.problem("r.example:0")).hasValueSatisfying(p -> assertThat(p).contains("port"));
        assertThat(RegistryHost.problem("r.example:70000")).hasValueSatisfying(p -> assertThat(p).contains("port"));
        assertThat(RegistryHost.problem("-bad.example")).hasValueSatisfying(p -> assertThat(p).contains("DNS labels"));
        assertThat(RegistryHost.problem("")).isPresent();
        assertThat(RegistryHost.problem("a".repeat(300))).hasValueSatisfying(p -> assertThat(p).contains("at most"));
    }
}
