package dev.burrow.daemon.store;

import dev.burrow.daemon.images.InvalidRequestException;
import dev.burrow.daemon.microvms.NotFoundException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The tags of a tenant's images ({@code image_tags}, migration V9): what the Lambda MicroVMs door
 * serves as TagResource, UntagResource and ListTags on a {@code microvm-image} ARN, and what
 * CreateMicrovmImage's {@code tags} become. The rules are AWS's for tags (AWS Lambda's developer
 * guide and the model's {@code TagKey}/{@code TagValue} shapes): at most {@value #MAX_TAGS} per
 * image, keys of 1..{@value #MAX_KEY_CHARS} and values of 0..{@value #MAX_VALUE_CHARS} characters
 * (code points) of letters, digits, spaces and {@code _ . : / = + - @}, keys case-sensitive, and a
 * key that starts with {@code aws:} in any case is reserved. Image names are Burrow's.
 *
 * <p>An image that does not exist (or is another tenant's) is a {@link NotFoundException}; tags
 * that break a rule are an {@link InvalidRequestException} naming the first offending key, and
 * nothing is written.
 */
public final class ImageTags {

    /** Tags one image may carry. */
    public static final int MAX_TAGS = 50;
    /** A key's length in characters (code points). */
    public static final int MAX_KEY_CHARS = 128;
    /** A value's length in characters (code points). */
    public static final int MAX_VALUE_CHARS = 256;
    /** The key prefix AWS keeps for itself (compared without case). */
    public static final String RESERVED_PREFIX = "aws:";
    /** The field the validation errors name. */
    public static final String FIELD = "tags";
    /** The characters of the model's TagKey and TagValue patterns. */
    private static final Pattern CHARS = Pattern.compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");

    private final Database db;

    public ImageTags(Database db) {
        this.db = Objects.requireNonNull(db, "db");
    }

    /** The image's tags, sorted by key. */
    public Map<String, String> tags(String tenantId, String image) {
        return db.read(c -> {
            requireImage(c, tenantId, image);
            return Collections.unmodifiableSortedMap(read(c, tenantId, image));
        });
    }

    /**
     * Adds {@code tags} to the image, replacing the values of keys it already has. Every tag is
     * checked first and the image's count after the merge too; then all are written in one
     * transaction, or none.
     */
    public void tag(String tenantId, String image, Map<String, String> tags) {
        Objects.requireNonNull(tags, "tags");
        tags.forEach(ImageTags::check);
        db.write(c -> {
            requireImage(c, tenantId, image);
            SortedMap<String, String> merged = read(c, tenantId, image);
            merged.putAll(tags);
            if (merged.size() > MAX_TAGS) {
                throw new InvalidRequestException(FIELD, "an image carries at most " + MAX_TAGS + " tags; " + image + " would have "
                        + merged.size());
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO image_tags(tenant_id, image, key, value) VALUES (?, ?, ?, ?) "
                            + "ON CONFLICT(tenant_id, image, key) DO UPDATE SET value = excluded.value")) {
                for (Map.Entry<String, String> t : tags.entrySet()) {
                    ps.setString(1, tenantId);
                    ps.setString(2, image);
                    ps.setString(3, t.getKey());
                    ps.setString(4, t.getValue());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /** Removes the tags with these keys from the image; a key it does not have is no error. */
    public void untag(String tenantId, String image, Collection<String> keys) {
        Objects.requireNonNull(keys, "keys");
        db.write(c -> {
            requireImage(c, tenantId, image);
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM image_tags WHERE tenant_id = ? AND image = ? AND key = ?")) {
                for (String key : keys) {
                    ps.setString(1, tenantId);
                    ps.setString(2, image);
                    ps.setString(3, key);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /** One tag against the rules; the message names the key (printable) and the rule. */
    private static void check(String key, String value) {
        if (key == null || key.isEmpty()) {
            throw new InvalidRequestException(FIELD, "a tag key must not be empty");
        }
        int keyChars = key.codePointCount(0, key.length());
        if (keyChars > MAX_KEY_CHARS) {
            throw new InvalidRequestException(FIELD, "tag key '" + shown(key) + "' is " + keyChars + " characters long; the limit is "
                    + MAX_KEY_CHARS);
        }
        if (!CHARS.matcher(key).matches()) {
            throw new InvalidRequestException(FIELD, "tag key '" + shown(key) + "' may hold only letters, digits, spaces and _ . : / = + - @");
        }
        if (key.toLowerCase(Locale.ROOT).startsWith(RESERVED_PREFIX)) {
            throw new InvalidRequestException(FIELD, "tag key '" + shown(key) + "' starts with " + RESERVED_PREFIX
                    + ", which is reserved for AWS");
        }
        if (value == null) {
            throw new InvalidRequestException(FIELD, "tag '" + shown(key) + "' has no value; give an empty string instead");
        }
        int valueChars = value.codePointCount(0, value.length());
        if (valueChars > MAX_VALUE_CHARS) {
            throw new InvalidRequestException(FIELD, "the value of tag '" + shown(key) + "' is " + valueChars
                    + " characters long; the limit is " + MAX_VALUE_CHARS);
        }
        if (!CHARS.matcher(value).matches()) {
            throw new InvalidRequestException(FIELD, "the value of tag '" + shown(key)
                    + "' may hold only letters, digits, spaces and _ . : / = + - @");
        }
    }

    /** A key as an error message shows it: control characters escaped, cut at the key limit. */
    private static String shown(String key) {
        StringBuilder b = new StringBuilder();
        key.codePoints().limit(MAX_KEY_CHARS).forEach(cp -> {
            if (Character.isISOControl(cp)) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }

    private static void requireImage(Connection c, String tenantId, String image) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM images WHERE tenant_id = ? AND name = ?")) {
            ps.setString(1, tenantId);
            ps.setString(2, image);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new NotFoundException("no image named " + image);
                }
            }
        }
    }

    private static SortedMap<String, String> read(Connection c, String tenantId, String image) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT key, value FROM image_tags WHERE tenant_id = ? AND image = ?")) {
            ps.setString(1, tenantId);
            ps.setString(2, image);
            SortedMap<String, String> out = new TreeMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
            return out;
        }
    }
}
