package dev.burrow.bench;

/** Fields of a {@code /proc/PID/stat} line. */
final class ProcStat {

    /** utime is field 14 (1-based), stime 15; counted after the ")" that ends comm, whose state is field 3. */
    private static final int UTIME_AFTER_COMM = 11;

    /**
     * utime+stime in clock ticks. The command name (field 2) may hold spaces and parentheses, so
     * fields are counted from the last ")".
     */
    static long cpuTicks(String statLine) {
        int end = statLine.lastIndexOf(')');
        if (end < 0) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: " + statLine);
        }
        String[] f = statLine.substring(end + 1).trim().split("\\s+");
        if (f.length < UTIME_AFTER_COMM + 2) {
            throw new IllegalArgumentException("short /proc/PID/stat line: " + statLine);
        }
        return Long.parseLong(f[UTIME_AFTER_COMM]) + Long.parseLong(f[UTIME_AFTER_COMM + 1]);
    }

    private ProcStat() {}
}
