package dev.burrow.daemon.images.build.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * A RUN's output cut into lines: each complete line goes to the sink (the build log) at once, a
 * line longer than {@code maxChars} is cut there, past {@code maxLogged} characters lines are
 * only counted (the log says how many were left out), and the last {@code tailLines} lines are
 * kept for a failure's reason. Memory and log size are bounded, whatever the command prints.
 */
public final class OutputLines {
    private final Consumer<String> sink;
    private final int maxChars;
    private final int tailLines;
    private final long maxLogged;
    private long logged;
    private long skipped;
    private final Deque<String> tail = new ArrayDeque<>();
    private final StringBuilder[] partial = {new StringBuilder(), new StringBuilder()};
    private final boolean[] cut = new boolean[2];
    private long lines;

    public OutputLines(Consumer<String> sink, int maxChars, int tailLines, long maxLogged) {
        this.sink = sink;
        this.maxChars = maxChars;
        this.tailLines = tailLines;
        this.maxLogged = maxLogged;
    }

    /** Output of stdout ({@code stream} 0) or stderr (1); a line never mixes the two. */
    public void accept(int stream, byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        StringBuilder b = partial[stream];
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '\n') {
                emit(stream);
            } else if (ch != '\r') {
                if (b.length() < maxChars) {
                    b.append(ch);
                } else {
                    cut[stream] = true;
                }
            }
        }
    }

    /** Emits what is left of unterminated lines. */
    public void finish() {
        for (int s = 0; s < 2; s++) {
            if (!partial[s].isEmpty()) {
                emit(s);
            }
        }
        if (skipped > 0) {
            sink.accept("(" + skipped + " more lines not logged: the log keeps " + maxLogged + " characters of one step)");
            skipped = 0;
        }
    }

    private void emit(int stream) {
        String line = partial[stream] + (cut[stream] ? " […]" : "");
        partial[stream].setLength(0);
        cut[stream] = false;
        lines++;
        if (logged + line.length() <= maxLogged) {
            logged += line.length();
            sink.accept(line);
        } else {
            skipped++;
        }
        tail.addLast(line);
        while (tail.size() > tailLines) {
            tail.removeFirst();
        }
    }

    /** The last lines, oldest first. */
    public List<String> tail() {
        return new ArrayList<>(tail);
    }

    public long lineCount() {
        return lines;
    }
}
