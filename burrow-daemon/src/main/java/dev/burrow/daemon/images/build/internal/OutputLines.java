package dev.burrow.daemon.images.build.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * A RUN's output cut into lines: each complete line goes to the sink (the build log) at once, a
 * line longer than {@code maxChars} is cut there, and the last {@code tailLines} lines are kept
 * for a failure's reason. Memory is bounded by both limits, whatever the command prints.
 */
public final class OutputLines {
    private final Consumer<String> sink;
    private final int maxChars;
    private final int tailLines;
    private final Deque<String> tail = new ArrayDeque<>();
    private final StringBuilder[] partial = {new StringBuilder(), new StringBuilder()};
    private final boolean[] cut = new boolean[2];
    private long lines;

    public OutputLines(Consumer<String> sink, int maxChars, int tailLines) {
        this.sink = sink;
        this.maxChars = maxChars;
        this.tailLines = tailLines;
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
    }

    private void emit(int stream) {
        String line = partial[stream] + (cut[stream] ? " […]" : "");
        partial[stream].setLength(0);
        cut[stream] = false;
        lines++;
        sink.accept(line);
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
