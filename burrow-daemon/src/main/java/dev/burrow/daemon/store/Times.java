package dev.burrow.daemon.store;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Instants as TEXT columns: RFC 3339 UTC with exactly nine fraction digits, so values round-trip
 * to the nanosecond and compare correctly as strings ({@code expires_at < ?}).
 */
public final class Times {

    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);

    private Times() {}

    public static String format(Instant i) {
        return i == null ? null : FORMAT.format(i);
    }

    public static Instant parse(String s) {
        return s == null ? null : Instant.parse(s);
    }
}
