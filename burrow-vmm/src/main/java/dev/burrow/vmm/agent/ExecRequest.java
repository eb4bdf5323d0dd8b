package dev.burrow.vmm.agent;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command to run in the guest. {@code stdinOpen} keeps stdin open for {@link ExecSession#writeStdin};
 * otherwise the command reads EOF at once. Empty {@code user}/{@code cwd} mean root / the user's home.
 * With a {@code pty} the command runs on a new terminal of that size (its output is all stdout, its
 * input the terminal's keyboard); a {@code builtin} names one of the agent's own commands
 * (guest/agent/builtins.h) instead of a program in the image. Both need agent 0.4.0, and the agent
 * refuses them together or on the entrypoint.
 */
public record ExecRequest(List<String> argv, Map<String, String> env, String cwd, String user,
                          boolean stdinOpen, boolean entrypoint, Pty pty, boolean builtin) {

    /** A terminal size in character cells, each within {@link #MIN_SIZE}..{@link #MAX_SIZE}. */
    public record Pty(int cols, int rows) {

        public static final int MIN_SIZE = 1;
        public static final int MAX_SIZE = 1000;

        public Pty {
            if (cols < MIN_SIZE || cols > MAX_SIZE || rows < MIN_SIZE || rows > MAX_SIZE) {
                throw new IllegalArgumentException("a terminal has " + MIN_SIZE + ".." + MAX_SIZE
                        + " columns and rows, not " + cols + "x" + rows);
            }
        }
    }

    public ExecRequest {
        argv = List.copyOf(Objects.requireNonNull(argv, "argv"));
        env = Map.copyOf(Objects.requireNonNull(env, "env"));
        cwd = Objects.requireNonNullElse(cwd, "");
        user = Objects.requireNonNullElse(user, "");
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must name a command");
        }
        for (String k : env.keySet()) {
            if (k.isEmpty() || k.indexOf('=') >= 0) {
                throw new IllegalArgumentException("env key must be non-empty and contain no '=': " + k);
            }
        }
    }

    /** A plain exec (no terminal, not a builtin). */
    public ExecRequest(List<String> argv, Map<String, String> env, String cwd, String user,
                       boolean stdinOpen, boolean entrypoint) {
        this(argv, env, cwd, user, stdinOpen, entrypoint, null, false);
    }

    public static ExecRequest of(String... argv) {
        return new ExecRequest(List.of(argv), Map.of(), "", "", false, false);
    }

    public ExecRequest withStdin() {
        return new ExecRequest(argv, env, cwd, user, true, entrypoint, pty, builtin);
    }

    public ExecRequest withEnv(Map<String, String> newEnv) {
        return new ExecRequest(argv, newEnv, cwd, user, stdinOpen, entrypoint, pty, builtin);
    }

    public ExecRequest withCwd(String newCwd) {
        return new ExecRequest(argv, env, newCwd, user, stdinOpen, entrypoint, pty, builtin);
    }

    public ExecRequest withUser(String newUser) {
        return new ExecRequest(argv, env, cwd, newUser, stdinOpen, entrypoint, pty, builtin);
    }

    public ExecRequest asEntrypoint() {
        return new ExecRequest(argv, env, cwd, user, false, true, pty, builtin);
    }

    /** On a new terminal of cols x rows; a terminal takes input, so stdin stays open. */
    public ExecRequest withPty(int cols, int rows) {
        return new ExecRequest(argv, env, cwd, user, true, entrypoint, new Pty(cols, rows), builtin);
    }

    /** argv[0] names an agent builtin rather than a program. */
    public ExecRequest asBuiltin() {
        return new ExecRequest(argv, env, cwd, user, stdinOpen, entrypoint, pty, true);
    }
}
