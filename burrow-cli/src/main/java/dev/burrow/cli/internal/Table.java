package dev.burrow.cli.internal;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** Column-aligned text tables, as docker prints them. */
public final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    public Table(String... headers) {
        this.columns = headers.length;
        rows.add(headers);
    }

    public Table row(String... cells) {
        if (cells.length != columns) throw new IllegalArgumentException("expected " + columns + " cells");
        rows.add(cells);
        return this;
    }

    public void print(PrintStream out) {
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int i = 0; i < columns; i++) width[i] = Math.max(width[i], r[i] == null ? 0 : r[i].length());
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                String cell = r[i] == null ? "" : r[i];
                sb.append(cell);
                if (i < columns - 1) sb.append(" ".repeat(width[i] - cell.length() + 3));
            }
            out.println(sb.toString().stripTrailing());
        }
    }

    /** {@code 2026-11-29T10:00:00Z} → {@code 5 minutes ago}; anything unparseable as is. */
    public static String ago(String time, Instant now) {
        if (time == null || time.isEmpty()) return "";
        Instant t;
        try {
            t = Instant.parse(time);
        } catch (DateTimeParseException e) {
            return time;
        }
        long s = Duration.between(t, now).getSeconds();
        if (s < 0) return "just now";
        if (s < 60) return s + " seconds ago";
        if (s < 3600) return plural(s / 60, "minute") + " ago";
        if (s < 86400) return plural(s / 3600, "hour") + " ago";
        return plural(s / 86400, "day") + " ago";
    }

    private static String plural(long n, String unit) {
        return n == 1 ? (unit.equals("hour") ? "an hour" : "1 " + unit) : n + " " + unit + "s";
    }
}
