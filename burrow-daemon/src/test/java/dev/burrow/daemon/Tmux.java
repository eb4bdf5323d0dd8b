package dev.burrow.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A detached tmux session on its own server socket, driven as a user would: keys in, the screen out. */
final class Tmux implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(30);
    private final String socket;
    final String session = "burrow";

    /** Starts {@code sh} in a {@code cols}×{@code rows} window with {@code env} set. */
    Tmux(String socket, int cols, int rows, List<String> env) throws Exception {
        this.socket = socket;
        List<String> cmd = new ArrayList<>(List.of("new-session", "-d", "-s", session, "-x", Integer.toString(cols), "-y", Integer.toString(rows)));
        for (String e : env) {
            cmd.add("-e");
            cmd.add(e);
        }
        cmd.add("sh");
        run(cmd.toArray(String[]::new));
        run("set-option", "-t", session, "status", "off");
    }

    String run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tmux", "-L", socket));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("tmux " + String.join(" ", args) + " did not finish");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("tmux " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    /** Types {@code text} and presses Enter. */
    void type(String text) throws Exception {
        run("send-keys", "-t", session, "-l", text);
        run("send-keys", "-t", session, "Enter");
    }

    void keys(String... keys) throws Exception {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", session));
        args.addAll(List.of(keys));
        run(args.toArray(String[]::new));
    }

    /** The visible screen plus its scrollback. */
    String screen() throws Exception {
        return run("capture-pane", "-p", "-J", "-S", "-500", "-t", session);
    }

    /** Waits until the screen satisfies {@code condition}; fails with the screen otherwise. */
    String await(Predicate<String> condition, String what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String s = screen();
        while (!condition.test(s)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what + "; the screen:\n" + s);
            }
            Thread.sleep(100);
            s = screen();
        }
        return s;
    }

    int panePid() throws Exception {
        return Integer.parseInt(run("display-message", "-p", "-t", session, "#{pane_pid}").strip());
    }

    String paneSize() throws Exception {
        return run("display-message", "-p", "-t", session, "#{pane_height} #{pane_width}").strip();
    }

    @Override
    public void close() throws Exception {
        try {
            run("kill-server");
        } catch (IOException ignored) {
            // already gone
        }
    }
}
