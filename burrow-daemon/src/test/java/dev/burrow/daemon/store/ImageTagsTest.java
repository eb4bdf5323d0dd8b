package dev.burrow.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.images.InvalidRequestException;
import dev.burrow.daemon.microvms.NotFoundException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image tags in SQLite: AWS's limits, all-or-nothing writes, one tenant's images only, gone with their image. */
class ImageTagsTest {

    @TempDir
    Path dir;
    Database db;
    String tenantA;
    String tenantB;
    SqliteImageStore a;
    ImageTags tags;

    @BeforeEach
    void setUp() {
        TwoTenantStores stores = TwoTenantStores.open(dir);
        db = stores.db();
        tenantA = stores.tenantA();
        tenantB = stores.tenantB();
        a = stores.a();
        a.createImage(SqliteImageStoreTest.pending("web", 1));
        tags = new ImageTags(db);
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void tagsMergeIntoTheImagesAndComeBackSortedByKey() {
        tags.tag(tenantA, "web", Map.of("team", "core", "Env", "prod"));
        tags.tag(tenantA, "web", Map.of("env", "", "team", "edge"));

        assertThat(tags.tags(tenantA, "web")).containsExactly(Map.entry("Env", "prod"), Map.entry("env", ""), Map.entry("team", "edge"));
    }

    @Test
    void untagRemovesTheNamedKeysAndIgnoresAbsentOnes() {
        tags.tag(tenantA, "web", Map.of("a", "1", "b", "2", "c", "3"));
        tags.untag(tenantA, "web", List.of("a", "c", "never-set"));

        assertThat(tags.tags(tenantA, "web")).containsExactly(Map.entry("b", "2"));
    }

    @Test
    void fiftyTagsFitAndTheFiftyFirstIsRefusedWithoutWritingAnyOfTheRequest() {
        Map<String, String> fifty = new HashMap<>();
        for (int i = 0; i < ImageTags.MAX_TAGS; i++) {
            fifty.put("k" + i, "v");
        }
        tags.tag(tenantA, "web", fifty);
        tags.tag(tenantA, "web", Map.of("k0", "replaced")); // replacing a key adds none

        assertThatThrownBy(() -> tags.tag(tenantA, "web", Map.of("k1", "changed", "one-more", "x")))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("at most 50 tags").hasMessageContaining("51");
        Map<String, String> after = tags.tags(tenantA, "web");
        assertThat(after).hasSize(ImageTags.MAX_TAGS).containsEntry("k0", "replaced").containsEntry("k1", "v").doesNotContainKey("one-more");
    }

    @Test
    @Tag("hostile")
    void keysAndValuesOutsideAwsRulesAreRefusedNamingTheKeyAndNothingIsWritten() {
        String key128 = "k".repeat(ImageTags.MAX_KEY_CHARS);
        String value256 = "é".repeat(ImageTags.MAX_VALUE_CHARS); // characters, not bytes
        tags.tag(tenantA, "web", Map.of(key128, value256, "a b_.:/=+-@", ""));
        assertThat(tags.tags(tenantA, "web")).containsEntry(key128, value256);

        assertRefused(Map.of("", "x"), "must not be empty");
        assertRefused(Map.of(key128 + "k", "x"), "129 characters");
        assertRefused(Map.of("ok", "v".repeat(ImageTags.MAX_VALUE_CHARS + 1)), "257 characters");
        assertRefused(Map.of("semi;colon", "x"), "semi;colon");
        assertRefused(Map.of("ok", "quote\""), "value of tag 'ok'");
        assertRefused(Map.of("ctl\u0001", "x"), "ctl\\u0001");
        assertRefused(Map.of("AWS:owner", "x"), "reserved");
        assertRefused(Map.of("aws:owner", "x"), "reserved");
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("k", null);
        assertRefused(nullValue, "no value");

        Map<String, String> oneBad = new LinkedHashMap<>();
        oneBad.put("good", "1");
        oneBad.put("bad!", "2");
        assertRefused(oneBad, "bad!");
        assertThat(tags.tags(tenantA, "web")).doesNotContainKey("good");
    }

    @Test
    void anotherTenantsImageIsNotFoundForEveryCall() {
        tags.tag(tenantA, "web", Map.of("team", "core"));

        assertThatThrownBy(() -> tags.tags(tenantB, "web")).isInstanceOf(NotFoundException.class).hasMessageContaining("web");
        assertThatThrownBy(() -> tags.tag(tenantB, "web", Map.of("x", "y"))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> tags.untag(tenantB, "web", List.of("team"))).isInstanceOf(NotFoundException.class);
        assertThat(tags.tags(tenantA, "web")).containsExactly(Map.entry("team", "core"));
    }

    @Test
    void deletingTheImageDeletesItsTagsAndANewImageOfThatNameStartsWithout() {
        tags.tag(tenantA, "web", Map.of("team", "core"));

        a.deleteImage("web");
        assertThatThrownBy(() -> tags.tags(tenantA, "web")).isInstanceOf(NotFoundException.class);
        assertThat(rows()).isZero();

        a.createImage(SqliteImageStoreTest.pending("web", 1));
        assertThat(tags.tags(tenantA, "web")).isEmpty();
    }

    @Test
    void deletingTheTenantDeletesItsImagesTags() {
        tags.tag(tenantA, "web", Map.of("team", "core"));

        new Tenants(db).delete(tenantA);
        assertThat(rows()).isZero();
    }

    private void assertRefused(Map<String, String> t, String message) {
        assertThatThrownBy(() -> tags.tag(tenantA, "web", t)).isInstanceOf(InvalidRequestException.class).hasMessageContaining(message)
                .satisfies(e -> assertThat(((InvalidRequestException) e).field()).isEqualTo(ImageTags.FIELD));
    }

    private int rows() {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM image_tags"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }
}
