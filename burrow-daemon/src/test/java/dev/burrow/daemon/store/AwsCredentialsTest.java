package dev.burrow.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.registries.SecretBox;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AWS credentials per API key: issued once, found while the key lives, sealed at rest under a 0600 key file. */
class AwsCredentialsTest {

    @TempDir
    Path dir;
    Database db;
    AwsCredentials credentials;
    String tenant;

    @BeforeEach
    void open() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        credentials = new AwsCredentials(db, SecretBox.open(dir, AwsCredentials.KEY_FILE));
        tenant = new Tenants(db).create("acme", null).orElseThrow().id();
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void anIssuedKeyHasAnAwsShapedAccessKeyIdAndA40CharacterSecret() {
        AwsCredentials.Issued issued = credentials.issue(tenant, false);
        assertThat(issued.accessKeyId()).matches("AKIA[A-Z2-7]{16}");
        assertThat(issued.secretAccessKey()).hasSize(40).matches("[A-Za-z0-9+/]{40}");
        assertThat(issued.key().key()).startsWith("bk_");
        assertThat(issued.toString()).doesNotContain(issued.secretAccessKey()).doesNotContain(issued.key().key());
        AwsCredentials.Issued other = credentials.issue(tenant, false);
        assertThat(other.accessKeyId()).isNotEqualTo(issued.accessKeyId());
        assertThat(other.secretAccessKey()).isNotEqualTo(issued.secretAccessKey());
    }

    @Test
    void anAccessKeyIdFindsItsSecretAndTheApiKeysPrincipal() {
        AwsCredentials.Issued issued = credentials.issue(tenant, false);
        AwsCredentials.Credential found = credentials.find(issued.accessKeyId()).orElseThrow();
        assertThat(found.secretAccessKey()).isEqualTo(issued.secretAccessKey());
        assertThat(found.principal()).isEqualTo(new Principal(tenant, "acme", false, issued.key().info().id()));
        assertThat(found.toString()).doesNotContain(issued.secretAccessKey());
        // the bearer key issued with it works as any key
        assertThat(new ApiKeys(db).authenticate(issued.key().key())).contains(found.principal());
        assertThat(credentials.accessKeyIds(List.of(issued.key().info().id(), "key_other")))
                .containsExactlyEntriesOf(Map.of(issued.key().info().id(), issued.accessKeyId()));
    }

    @Test
    @Tag("hostile")
    void unknownMalformedAndRevokedAccessKeysFindNothing() {
        AwsCredentials.Issued issued = credentials.issue(tenant, false);
        assertThat(credentials.find("AKIAAAAAAAAAAAAAAAAA")).isEmpty();
        assertThat(credentials.find(issued.accessKeyId().toLowerCase())).isEmpty();
        assertThat(credentials.find("AKIA' OR 1=1 --")).isEmpty();
        assertThat(credentials.find(null)).isEmpty();
        new ApiKeys(db).revoke(issued.key().info().id());
        assertThat(credentials.find(issued.accessKeyId())).isEmpty();
    }

    @Test
    void deletingTheTenantDeletesItsCredentials() {
        AwsCredentials.Issued issued = credentials.issue(tenant, false);
        assertThat(new Tenants(db).delete(tenant)).isTrue();
        assertThat(credentials.find(issued.accessKeyId())).isEmpty();
        int rows = db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM aws_credentials"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertThat(rows).isZero();
    }

    @Test
    @Tag("hostile")
    void theSecretIsInNoFileOfTheDataDirectoryAndTheKeyFileIsOwnerOnly() throws Exception {
        AwsCredentials.Issued issued = credentials.issue(tenant, false);
        assertNoFileContains(issued.secretAccessKey());
        assertThat(anyFileContains(issued.accessKeyId())).as("the scan sees what is stored").isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(AwsCredentials.KEY_FILE)))).isEqualTo("rw-------");
        db.close();
        assertNoFileContains(issued.secretAccessKey());
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        assertThat(new AwsCredentials(db, SecretBox.open(dir, AwsCredentials.KEY_FILE)).find(issued.accessKeyId()))
                .get().extracting(AwsCredentials.Credential::secretAccessKey).isEqualTo(issued.secretAccessKey());
    }

    @Test
    @Tag("hostile")
    void underAnotherKeyFileOrMovedToAnotherAccessKeyASecretDoesNotOpen() throws Exception {
        AwsCredentials.Issued a = credentials.issue(tenant, false);
        AwsCredentials.Issued b = credentials.issue(tenant, false);
        Path elsewhere = Files.createDirectory(dir.resolve("other"));
        assertThat(new AwsCredentials(db, SecretBox.open(elsewhere, AwsCredentials.KEY_FILE)).find(a.accessKeyId())).isEmpty();
        db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE aws_credentials SET secret = (SELECT secret FROM aws_credentials WHERE access_key_id = ?)"
                    + " WHERE access_key_id = ?")) {
                ps.setString(1, a.accessKeyId());
                ps.setString(2, b.accessKeyId());
                return ps.executeUpdate();
            }
        });
        assertThat(credentials.find(b.accessKeyId())).isEmpty();
        assertThat(credentials.find(a.accessKeyId())).isPresent();
    }

    @Test
    void accessKeyIdsDoNotRepeat() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            assertThat(seen.add(AwsCredentials.newAccessKeyId())).isTrue();
        }
    }

    private void assertNoFileContains(String secret) throws Exception {
        assertThat(anyFileContains(secret)).as("a file of the data directory holds the secret").isFalse();
    }

    private boolean anyFileContains(String s) throws Exception {
        byte[] needle = s.getBytes(StandardCharsets.US_ASCII);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(f);
                for (int i = 0; i + needle.length <= bytes.length; i++) {
                    int j = 0;
                    while (j < needle.length && bytes[i + j] == needle[j]) {
                        j++;
                    }
                    if (j == needle.length) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
