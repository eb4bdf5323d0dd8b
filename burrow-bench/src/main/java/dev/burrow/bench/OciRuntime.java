package dev.burrow.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An OCI runtime's command line ({@code runc}, gVisor's {@code runsc}) driven as a container
 * engine would: {@code run --detach} of a bundle whose process sleeps, {@code exec} of a command
 * into it, {@code delete --force}. Both runtimes share these verbs; they differ in their global
 * flags. Each runtime keeps its state under its own temporary {@code --root}.
 */
final class OciRuntime {

    /** The longest one runtime call may take before the benchmark gives up. */
    private static final Duration T = Duration.ofSeconds(60);
    private static final File DEV_NULL = new File("/dev/null");

    private final String label;
    private final List<String> command;
    private final Path stderrLog;

    /**
     * @param label     the name in the table
     * @param binary    the runtime's executable (found on {@code PATH})
     * @param stateRoot its {@code --root} directory
     * @param flags     its further global flags (e.g. {@code --network=none} for runsc)
     */
    OciRuntime(String label, String binary, Path stateRoot, List<String> flags) {
        this.label = label;
        List<String> c = new ArrayList<>();
        c.add(binary);
        c.add("--root");
        c.add(stateRoot.toString());
        c.addAll(flags);
        this.command = List.copyOf(c);
        this.stderrLog = stateRoot.resolveSibling(stateRoot.getFileName() + ".stderr");
    }

    String label() {
        return label;
    }

    /** The first line of {@code <binary> --version}. */
    String version() throws Exception {
        Process p = new ProcessBuilder(command.getFirst(), "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        finish(p, "--version", out);
        return out.lines().findFirst().orElse("?").strip();
    }

    /** Creates and starts container {@code id} from {@code bundle}, detached; returns when the runtime has. */
    void runDetached(String id, Path bundle) throws Exception {
        // The detached container inherits the runtime's stdio: stdin and stdout go to /dev/null and
        // stderr to a file, so no pipe of ours stays open behind the container.
        Process p = new ProcessBuilder(with("run", "--detach", "--bundle", bundle.toString(), id))
                .redirectInput(DEV_NULL).redirectOutput(DEV_NULL).redirectError(ProcessBuilder.Redirect.appendTo(stderrLog.toFile())).start();
        finish(p, "run " + id, "see " + stderrLog);
    }

    /**
     * Starts {@code cmd} in container {@code id} and returns when its first stdout byte arrived
     * ({@link System#nanoTime()}); the rest is checked after that moment (it must be
     * {@code expected}, exit 0).
     */
    long execToFirstStdout(String id, List<String> cmd, String expected) throws Exception {
        List<String> args = new ArrayList<>(List.of("exec", id));
        args.addAll(cmd);
        Process p = new ProcessBuilder(with(args.toArray(String[]::new))).redirectInput(DEV_NULL)
                .redirectError(ProcessBuilder.Redirect.appendTo(stderrLog.toFile())).start();
        return firstByte(p, "exec " + cmd, expected);
    }

    private long firstByte(Process p, String what, String expected) throws Exception {
        InputStream out = p.getInputStream();
        int first = out.read();
        long at = System.nanoTime();
        if (first < 0) {
            finish(p, what, "no output; see " + stderrLog);
            throw new IllegalStateException(label + " " + what + " printed nothing; see " + stderrLog);
        }
        String rest = (char) first + new String(out.readAllBytes(), StandardCharsets.UTF_8);
        finish(p, what, rest);
        if (!rest.equals(expected)) {
            throw new IllegalStateException(label + " " + what + " printed " + rest + " where " + expected + " was due");
        }
        return at;
    }

    /**
     * Runs container {@code id} from {@code bundle} in the foreground, its process being the
     * command itself, and returns when its first stdout byte arrived ({@link System#nanoTime()});
     * the runtime removes the container when the process exits, which is awaited after that moment.
     */
    long runToFirstStdout(String id, Path bundle, String expected) throws Exception {
        Process p = new ProcessBuilder(with("run", "--bundle", bundle.toString(), id)).redirectInput(DEV_NULL)
                .redirectError(ProcessBuilder.Redirect.appendTo(stderrLog.toFile())).start();
        return firstByte(p, "run " + id, expected);
    }

    /** Stops and removes container {@code id}, whatever state it is in. */
    void delete(String id) throws Exception {
        Process p = new ProcessBuilder(with("delete", "--force", id)).redirectInput(DEV_NULL).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        finish(p, "delete " + id, out);
    }

    private List<String> with(String... verb) {
        List<String> c = new ArrayList<>(command);
        c.addAll(List.of(verb));
        return c;
    }

    private void finish(Process p, String what, String output) throws InterruptedException, IOException {
        if (!p.waitFor(T.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(label + " " + what + " did not finish within " + T);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(label + " " + what + " exited " + p.exitValue() + ": " + output.strip()
                    + (Files.exists(stderrLog) ? "\n" + Files.readString(stderrLog).strip() : ""));
        }
    }
}
