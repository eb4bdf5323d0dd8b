package dev.burrow.daemon.images;

import dev.burrow.oci.BuildLog;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/** A version's build log: one line per event, each with an RFC 3339 UTC timestamp; flushed per line so it can be followed. */
final class BuildLogFile implements BuildLog, AutoCloseable {

    private final BufferedWriter out;

    BuildLogFile(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Override
    public synchronized void info(String message) {
        line("", message);
    }

    @Override
    public synchronized void warn(String message) {
        line("WARNING ", message);
    }

    private void line(String level, String message) {
        try {
            out.write(Instant.now() + " " + level + message.replace('\n', ' ') + "\n");
            out.flush();
        } catch (IOException e) {
            // the log is best effort; the build's state and reason are the record
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // nothing more to write
        }
    }
}
