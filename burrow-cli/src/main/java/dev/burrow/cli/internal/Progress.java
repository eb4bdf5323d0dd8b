package dev.burrow.cli.internal;

import java.io.PrintStream;

/** One progress line on stderr, rewritten in place; silent when stderr is not a terminal. */
public final class Progress {
    private final PrintStream err;
    private final boolean enabled;
    private long lastDraw;
    private int lastLength;

    public Progress(CliEnv env) {
        this.err = env.err();
        this.enabled = env.stderrTty();
    }

    public boolean enabled() {
        return enabled;
    }

    /** Redraws the line, at most ten times a second unless {@code force}. */
    public synchronized void show(String line, boolean force) {
        if (!enabled) return;
        long now = System.nanoTime();
        if (!force && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        StringBuilder sb = new StringBuilder("\r").append(line);
        for (int i = line.length(); i < lastLength; i++) sb.append(' ');
        lastLength = line.length();
        err.print(sb);
        err.flush();
    }

    /** Leaves the last line visible and moves to the next one. */
    public synchronized void done(String line) {
        if (!enabled) return;
        show(line, true);
        err.println();
        err.flush();
        lastLength = 0;
    }

    /** Clears the line. */
    public synchronized void clear() {
        if (!enabled || lastLength == 0) return;
        err.print("\r" + " ".repeat(lastLength) + "\r");
        err.flush();
        lastLength = 0;
    }
}
