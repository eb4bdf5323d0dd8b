package dev.burrow.cli.internal;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes ({@code 512M}, {@code 2G}) and durations ({@code 300s}, {@code 5m}, {@code 1h}) as SPEC §0 writes them. */
public final class Units {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([MG]i?B?)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*([smhd])?", Pattern.CASE_INSENSITIVE);

    private Units() {}

    /** A size in MiB: {@code 512M} → 512, {@code 2G} → 2048; a bare number is MiB. */
    public static long parseMiB(String text) {
        if (text == null) throw new IllegalArgumentException("missing size");
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid size '" + text + "': use a number of MiB or GiB such as 512M or 2G");
        }
        long n = parseNumber(m.group(1), text);
        String unit = m.group(2) == null ? "M" : m.group(2).toUpperCase(Locale.ROOT);
        long factor = unit.startsWith("G") ? 1024 : 1;
        return Math.multiplyExact(n, factor);
    }

    /** A duration in seconds: {@code 300s} → 300, {@code 5m} → 300, {@code 1h} → 3600; a bare number is seconds. */
    public static long parseSeconds(String text) {
        if (text == null) throw new IllegalArgumentException("missing duration");
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid duration '" + text + "': use seconds, minutes or hours such as 300s, 5m or 1h");
        }
        long n = parseNumber(m.group(1), text);
        String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
        long factor = switch (unit) {
            case "m" -> 60;
            case "h" -> 3600;
            case "d" -> 86400;
            default -> 1;
        };
        return Math.multiplyExact(n, factor);
    }

    private static long parseNumber(String digits, String text) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("number too large in '" + text + "'");
        }
    }

    /** Bytes for humans: {@code 1.5 MiB}. */
    public static String humanBytes(long bytes) {
        if (bytes < 1024) return bytes + " B";
        double v = bytes;
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }
}
