package dev.burrow.vmm.kernel.internal;

import dev.burrow.vmm.kernel.KernelException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host command with a deadline and bounded output capture. */
public final class Command {
    private static final int MAX_OUTPUT = 1 << 20;
    private static final int STDERR_TAIL_LINES = 15;

    /** The outcome of a finished command. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** A failure naming the command, its exit status and the last lines of its stderr. */
        public KernelException failure(String advice) {
            return new KernelException("`" + String.join(" ", command) + "` failed with exit status " + exitCode
                    + stderrSuffix() + (advice.isEmpty() ? "" : "\n" + advice));
        }

        private String stderrSuffix() {
            String tail = tail(stderr.isBlank() ? stdout : stderr);
            return tail.isBlank() ? "" : ":\n" + tail;
        }
    }

    private Command() {
    }

    /**
     * Runs {@code command} in {@code workDir} (the current directory when null) with {@code LC_ALL=C}.
     * A command that cannot start or exceeds its deadline is a {@link KernelException}; a non-zero exit is
     * reported in the result.
     */
    public static Result run(Path workDir, Duration timeout, List<String> command) throws KernelException {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        pb.environment().put("LC_ALL", "C");
        pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        String shown = "`" + String.join(" ", command) + "`";
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new KernelException("Cannot run " + shown + ": " + e.getMessage()
                    + "\nIs `" + command.getFirst() + "` installed and on the PATH?", e);
        }
        Drain out = new Drain(process.getInputStream());
        Drain err = new Drain(process.getErrorStream());
        Thread outThread = Thread.ofVirtual().start(out);
        Thread errThread = Thread.ofVirtual().start(err);
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                throw new KernelException(shown + " did not finish within " + timeout.toSeconds()
                        + " s and was killed" + (err.text().isBlank() ? "" : ":\n" + tail(err.text())));
            }
            outThread.join(Duration.ofSeconds(5));
            errThread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new KernelException("Interrupted while running " + shown, e);
        }
        return new Result(List.copyOf(command), process.exitValue(), out.text(), err.text());
    }

    static String tail(String text) {
        List<String> lines = text.strip().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - STDERR_TAIL_LINES), lines.size()));
    }

    private static final class Drain implements Runnable {
        private final InputStream in;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        Drain(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            byte[] chunk = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(chunk)) > 0) {
                    synchronized (buffer) {
                        if (buffer.size() < MAX_OUTPUT) {
                            buffer.write(chunk, 0, Math.min(n, MAX_OUTPUT - buffer.size()));
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process went away; keep what was read
            }
        }

        String text() {
            synchronized (buffer) {
                return buffer.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
