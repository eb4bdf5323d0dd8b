package dev.burrow.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysAndTenantsTest {

    @TempDir
    Path dir;

    @Test
    void ensureAdminReturnsAKeyOnlyTheFirstTime() {
        Path file = dir.resolve("burrow.db");
        String key;
        try (Database db = Database.open(file, Database.Durability.RELAXED)) {
            Optional<String> first = new Tenants(db).ensureAdmin();
            assertThat(first).isPresent();
            key = first.get();
            assertThat(key).startsWith("bk_").hasSize(3 + 43).matches("bk_[A-Za-z0-9_-]{43}");
            assertThat(new Tenants(db).ensureAdmin()).isEmpty();
        }
        try (Database db = Database.open(file, Database.Durability.RELAXED)) {
            assertThat(new Tenants(db).ensureAdmin()).isEmpty();
            Principal p = new ApiKeys(db).authenticate(key).orElseThrow();
            assertThat(p.admin()).isTrue();
            assertThat(p.tenantName()).isEqualTo("admin");
            assertThat(new Tenants(db).list()).extracting(Tenant::name).containsExactly("admin");
        }
    }

    @Test
    void keysAuthenticateUntilRevokedAndArePlaintextNowhere() throws Exception {
        Path file = dir.resolve("burrow.db");
        String key;
        String keyId;
        String tenant;
        try (Database db = Database.open(file, Database.Durability.RELAXED)) {
            tenant = new Tenants(db).create("acme", new Quotas(10, 8, 8192, null)).orElseThrow().id();
            ApiKeys keys = new ApiKeys(db);
            ApiKeys.IssuedKey issued = keys.issue(tenant, false);
            key = issued.key();
            keyId = issued.info().id();
            assertThat(issued.toString()).doesNotContain(key);
            assertThat(keys.authenticate(key)).contains(new Principal(tenant, "acme", false, keyId));
            assertThat(keys.authenticate(key + "x")).isEmpty();
            assertThat(keys.authenticate("bk_" + "A".repeat(43))).isEmpty();
            assertThat(keys.authenticate("")).isEmpty();
            assertThat(keys.authenticate(null)).isEmpty();
            assertThat(keys.list(tenant)).singleElement().satisfies(k -> {
                assertThat(k.prefix()).isEqualTo(key.substring(0, 8));
                assertThat(k.revoked()).isFalse();
            });
            // while open (WAL and all) and after close: no file holds the secret
            assertNoFileContains(key);
            assertThat(anyFileContains(ApiKeys.hash(key))).as("the scan sees what is stored").isTrue();
            String other = keys.create(tenant, false);
            assertThat(keys.revoke(keyId)).isTrue();
            assertThat(keys.authenticate(key)).isEmpty();
            assertThat(keys.authenticate(other)).isPresent();
            assertThat(keys.get(keyId)).get().satisfies(k -> assertThat(k.revoked()).isTrue());
            assertThat(keys.revoke("nope")).isFalse();
            assertThat(new Tenants(db).get(tenant)).map(Tenant::quotas).contains(new Quotas(10, 8, 8192, null));
        }
        assertNoFileContains(key);
        try (Database db = Database.open(file, Database.Durability.RELAXED)) {
            assertThat(new ApiKeys(db).authenticate(key)).isEmpty();
        }
    }

    @Test
    void tenantNamesAreUnique() {
        try (Database db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED)) {
            Tenants tenants = new Tenants(db);
            Tenant t = tenants.create("acme", null).orElseThrow();
            assertThat(tenants.create("acme", null)).isEmpty();
            assertThat(tenants.byName("acme")).contains(t);
            assertThat(tenants.setQuotas(t.id(), new Quotas(1, null, null, null))).isTrue();
            assertThat(tenants.get(t.id())).map(Tenant::quotas).contains(new Quotas(1, null, null, null));
            assertThat(tenants.delete(t.id())).isTrue();
            assertThat(tenants.get(t.id())).isEmpty();
        }
    }

    private void assertNoFileContains(String secret) throws Exception {
        byte[] needle = secret.getBytes(StandardCharsets.US_ASCII);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                byte[] bytes = Files.readAllBytes(f);
                assertThat(indexOf(bytes, needle)).as("%s holds the key", f.getFileName()).isEqualTo(-1);
            }
        }
    }

    private boolean anyFileContains(String s) throws Exception {
        byte[] needle = s.getBytes(StandardCharsets.US_ASCII);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                if (indexOf(Files.readAllBytes(f), needle) >= 0) {
                    return true;
                }
            }
        }
        return false;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
