package dev.burrow.cli.internal;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything the CLI takes from its surroundings: environment variables, system properties,
 * the three standard streams and whether stdin/stderr are terminals. Tests build one by hand.
 */
public final class CliEnv {
    private final Map<String, String> env;
    private final Map<String, String> props;
    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean stdinTty;
    private final boolean stderrTty;

    public CliEnv(Map<String, String> env, Map<String, String> props, InputStream in, PrintStream out,
                  PrintStream err, boolean stdinTty, boolean stderrTty) {
        this.env = Map.copyOf(env);
        this.props = Map.copyOf(props);
        this.in = in;
        this.out = out;
        this.err = err;
        this.stdinTty = stdinTty;
        this.stderrTty = stderrTty;
    }

    /** The real process surroundings. */
    public static CliEnv system() {
        Map<String, String> props = new HashMap<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            props.put(name, System.getProperty(name));
        }
        return new CliEnv(System.getenv(), props, System.in, System.out, System.err,
                isTty(0, props.get("burrow.tty.stdin")), isTty(2, props.get("burrow.tty.stderr")));
    }

    /**
     * Whether file descriptor {@code fd} is a terminal: the launcher tells us with {@code test -t}
     * in a system property; without it we look where /proc/self/fd/N points.
     */
    static boolean isTty(int fd, String hint) {
        if (hint != null && !hint.isEmpty()) {
            return hint.equals("1") || hint.equalsIgnoreCase("true");
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (Exception e) {
            var console = System.console();
            return console != null && console.isTerminal();
        }
    }

    public String getenv(String name) {
        String v = env.get(name);
        return v == null || v.isEmpty() ? null : v;
    }

    public Map<String, String> environment() {
        return env;
    }

    public String property(String name) {
        String v = props.get(name);
        return v == null || v.isEmpty() ? null : v;
    }

    public InputStream in() { return in; }
    public PrintStream out() { return out; }
    public PrintStream err() { return err; }
    public boolean stdinTty() { return stdinTty; }
    public boolean stderrTty() { return stderrTty; }

    /** The user's home: {@code HOME}, else the {@code user.home} property. */
    public Path home() {
        String h = getenv("HOME");
        if (h == null) h = property("user.home");
        return Path.of(h == null ? "/" : h);
    }
}
