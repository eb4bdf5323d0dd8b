package dev.burrow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Proportional set size of a process, split into guest RAM, TCG code cache, the malloc heap ({@code [heap]}) and the rest. */
record Smaps(long pssKiB, long guestRamPssKiB, long tcgCachePssKiB, long heapPssKiB) {

    static Smaps of(long pid, long guestRamMiB, long tbSizeMiB) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps"));
        long total = 0;
        long ram = 0;
        long tcg = 0;
        long heap = 0;
        boolean inHeap = false;
        long size = -1;
        boolean exec = false;
        for (String l : lines) {
            if (l.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                exec = l.split(" ")[1].contains("x") && l.trim().split("\\s+").length == 5; // anonymous and executable
                inHeap = l.endsWith("[heap]");
            } else if (l.startsWith("Size:")) {
                size = kib(l);
            } else if (l.startsWith("Pss:")) {
                long pss = kib(l);
                total += pss;
                if (inHeap) {
                    heap += pss;
                } else if (size == guestRamMiB * 1024) {
                    ram += pss;
                } else if (exec && size <= tbSizeMiB * 1024 && size > tbSizeMiB * 1024 - 64) {
                    // TCG's code buffer: one anonymous rwx mapping of tb-size minus a guard page
                    tcg += pss;
                }
            }
        }
        return new Smaps(total, ram, tcg, heap);
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
