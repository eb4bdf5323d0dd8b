package dev.burrow.vmm.agent.internal;

import java.util.function.Consumer;

/**
 * Guest LOG lines on their way to the host's logs: rate-limited (a token bucket), escaped (a
 * guest must not forge log lines or terminal sequences), and the drops counted and reported at
 * most once a second.
 */
public final class LogGate {

    /** The longest LOG line the protocol allows, in bytes of UTF-8 (docs/PROTOCOL.md). */
    public static final int MAX_LINE_BYTES = 4096;
    private static final long REPORT_NANOS = 1_000_000_000L;

    private final TokenBucket bucket;
    private final Consumer<String> out;
    private long dropped;
    private long lastReport;

    public LogGate(long perSecond, long burst, long now, Consumer<String> out) {
        this.bucket = new TokenBucket(perSecond, burst, now);
        this.out = out;
        this.lastReport = now;
    }

    public synchronized void line(String raw, long now) {
        if (bucket.tryTake(now)) {
            out.accept(escape(raw));
        } else {
            dropped++;
        }
        tick(now);
    }

    /** Reports the lines dropped since the last report, when a second has passed. */
    public synchronized void tick(long now) {
        if (dropped > 0 && now - lastReport >= REPORT_NANOS) {
            out.accept("(dropped " + dropped + " agent log lines over the rate limit)");
            dropped = 0;
            lastReport = now;
        } else if (dropped == 0) {
            lastReport = Math.max(lastReport, now - REPORT_NANOS);
        }
    }

    public synchronized long dropped() {
        return dropped;
    }

    /** Backslash, control characters (newlines included) and the line separators become visible escapes. */
    public static String escape(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean plain = c >= 0x20 && c != 0x7F && c != '\\' && !(c >= 0x80 && c < 0xA0) && c != 0x2028 && c != 0x2029;
            if (plain) {
                if (b != null) {
                    b.append(c);
                }
                continue;
            }
            if (b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b == null ? s : b.toString();
    }
}
