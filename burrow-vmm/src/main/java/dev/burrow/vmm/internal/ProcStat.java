package dev.burrow.vmm.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Reads /proc/PID/stat: the start time identifies a process across pid reuse. */
public final class ProcStat {

    private ProcStat() {}

    /** Start time in clock ticks since boot (field 22), or empty when the process is gone. */
    public static OptionalLong startTime(long pid) {
        String[] f = fieldsAfterComm(pid);
        return f == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(f[19]));
    }

    /** True when the process exists, is not a zombie and started at {@code startTime}. */
    public static boolean alive(long pid, long startTime) {
        String[] f = fieldsAfterComm(pid);
        return f != null && !f[0].equals("Z") && !f[0].equals("X") && Long.parseLong(f[19]) == startTime;
    }

    // fields from "state" (field 3) on; the comm field may hold spaces and parentheses
    private static String[] fieldsAfterComm(long pid) {
        try {
            String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = s.lastIndexOf(')');
            return close < 0 ? null : s.substring(close + 2).trim().split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
