package dev.burrow.daemon.microvms.lifecycle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host's MemAvailable, for the memory tier's pressure rule. */
public final class HostMemory {

    private HostMemory() {}

    /** MemAvailable in MiB; Long.MAX_VALUE when it cannot be read (no pressure is assumed). */
    public static long availableMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // below
        }
        return Long.MAX_VALUE;
    }
}
