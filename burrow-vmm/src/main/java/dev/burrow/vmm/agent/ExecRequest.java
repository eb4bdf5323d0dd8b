package dev.burrow.vmm.agent;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command to run in the guest. {@code stdinOpen} keeps stdin open for {@link ExecSession#writeStdin};
 * otherwise the command reads EOF at once. Empty {@code user}/{@code cwd} mean root / the user's home.
 */
public record ExecRequest(List<String> argv, Map<String, String> env, String cwd, String user,
                          boolean stdinOpen, boolean entrypoint) {

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

    public static ExecRequest of(String... argv) {
        return new ExecRequest(List.of(argv), Map.of(), "", "", false, false);
    }

    public ExecRequest withStdin() {
        return new ExecRequest(argv, env, cwd, user, true, entrypoint);
    }

    public ExecRequest withEnv(Map<String, String> newEnv) {
        return new ExecRequest(argv, newEnv, cwd, user, stdinOpen, entrypoint);
    }

    public ExecRequest withCwd(String newCwd) {
        return new ExecRequest(argv, env, newCwd, user, stdinOpen, entrypoint);
    }

    public ExecRequest withUser(String newUser) {
        return new ExecRequest(argv, env, cwd, newUser, stdinOpen, entrypoint);
    }

    public ExecRequest asEntrypoint() {
        return new ExecRequest(argv, env, cwd, user, false, true);
    }
}
