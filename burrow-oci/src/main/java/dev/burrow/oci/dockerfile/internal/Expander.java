package dev.burrow.oci.dockerfile.internal;

import dev.burrow.oci.dockerfile.DockerfileException;
import dev.burrow.oci.dockerfile.DockerfileLimits;
import java.util.function.Function;

/**
 * Docker's word processing for the instructions it expands: {@code $V}, {@code ${V}},
 * {@code ${V:-w}}, {@code ${V-w}}, {@code ${V:+w}}, {@code ${V+w}}, {@code ${V:?msg}},
 * {@code ${V?msg}}; quotes removed (nothing expands inside single quotes); the escape character
 * makes the next character literal (inside double quotes only before {@code "}, {@code $} or
 * itself, as in Docker). In heredoc mode quotes are plain characters and only {@code $} is
 * special. Every result is at most {@link DockerfileLimits#MAX_EXPANSION_BYTES}.
 */
public final class Expander {
    private final char escape;
    private final Function<String, String> lookup;
    private final int line;
    private final boolean heredoc;
    private String s;
    private int pos;

    /**
     * @param lookup a variable's value, or null when it is not set
     * @param line the instruction's line, for errors
     */
    public Expander(char escape, Function<String, String> lookup, int line, boolean heredoc) {
        this.escape = escape;
        this.lookup = lookup;
        this.line = line;
        this.heredoc = heredoc;
    }

    public String expand(String word) throws DockerfileException {
        this.s = word;
        this.pos = 0;
        StringBuilder out = new StringBuilder();
        word(out, (char) 0, 0);
        return out.toString();
    }

    /** Reads until {@code stop} (outside quotes) or the end, appending the processed text. */
    private void word(StringBuilder out, char stop, int depth) throws DockerfileException {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (stop != 0 && c == stop) {
                return;
            }
            pos++;
            if (heredoc) {
                if (c == escape && pos < s.length() && s.charAt(pos) == '$') {
                    append(out, "$");
                    pos++;
                } else if (c == '$') {
                    dollar(out, depth);
                } else {
                    append(out, c);
                }
            } else if (c == escape) {
                if (pos < s.length()) {
                    append(out, s.charAt(pos++));
                }
            } else if (c == '\'') {
                int end = s.indexOf('\'', pos);
                if (end < 0) {
                    throw new DockerfileException(line, "unmatched ' in " + InstructionParser.shorten(s));
                }
                append(out, s.substring(pos, end));
                pos = end + 1;
            } else if (c == '"') {
                doubleQuoted(out, depth);
            } else if (c == '$') {
                dollar(out, depth);
            } else {
                append(out, c);
            }
        }
    }

    private void doubleQuoted(StringBuilder out, int depth) throws DockerfileException {
        while (pos < s.length()) {
            char c = s.charAt(pos++);
            if (c == '"') {
                return;
            }
            if (c == escape && pos < s.length()) {
                char n = s.charAt(pos);
                if (n == '"' || n == '$' || n == escape) {
                    append(out, n);
                    pos++;
                } else {
                    append(out, c);
                }
            } else if (c == '$') {
                dollar(out, depth);
            } else {
                append(out, c);
            }
        }
        throw new DockerfileException(line, "unmatched \" in " + InstructionParser.shorten(s));
    }

    private void dollar(StringBuilder out, int depth) throws DockerfileException {
        if (pos >= s.length()) {
            append(out, '$');
            return;
        }
        char c = s.charAt(pos);
        if (c == '{') {
            pos++;
            braced(out, depth);
            return;
        }
        String name = name();
        if (name.isEmpty()) {
            append(out, '$');
            return;
        }
        String v = lookup.apply(name);
        if (v != null) {
            append(out, v);
        }
    }

    private void braced(StringBuilder out, int depth) throws DockerfileException {
        if (depth >= DockerfileLimits.MAX_EXPANSION_DEPTH) {
            throw new DockerfileException(line, "variables nested more than " + DockerfileLimits.MAX_EXPANSION_DEPTH
                    + " deep");
        }
        String name = name();
        if (name.isEmpty()) {
            throw new DockerfileException(line, "bad substitution in " + InstructionParser.shorten(s)
                    + " (expected ${NAME})");
        }
        if (pos >= s.length()) {
            throw new DockerfileException(line, "missing '}' in " + InstructionParser.shorten(s));
        }
        String value = lookup.apply(name);
        char c = s.charAt(pos);
        if (c == '}') {
            pos++;
            if (value != null) {
                append(out, value);
            }
            return;
        }
        boolean colon = c == ':';
        if (colon) {
            pos++;
        }
        if (pos >= s.length()) {
            throw new DockerfileException(line, "missing '}' in " + InstructionParser.shorten(s));
        }
        char op = s.charAt(pos++);
        if (op != '-' && op != '+' && op != '?') {
            throw new DockerfileException(line, "unsupported substitution ${" + name + (colon ? ":" : "") + op
                    + "…} (Burrow supports :- - :+ + :? ?)");
        }
        StringBuilder w = new StringBuilder();
        word(w, '}', depth + 1);
        if (pos >= s.length()) {
            throw new DockerfileException(line, "missing '}' in " + InstructionParser.shorten(s));
        }
        pos++;
        boolean set = colon ? value != null && !value.isEmpty() : value != null;
        switch (op) {
            case '-' -> append(out, set ? value : w.toString());
            case '+' -> append(out, set ? w.toString() : "");
            default -> {
                if (!set) {
                    throw new DockerfileException(line, name + ": " + (w.isEmpty() ? "is not set" : w.toString()));
                }
                append(out, value);
            }
        }
    }

    private String name() {
        int start = pos;
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
                break;
            }
            pos++;
        }
        return s.substring(start, pos);
    }

    private void append(StringBuilder out, char c) throws DockerfileException {
        out.append(c);
        check(out);
    }

    private void append(StringBuilder out, String v) throws DockerfileException {
        if (out.length() + v.length() > DockerfileLimits.MAX_EXPANSION_BYTES) {
            throw tooLong();
        }
        out.append(v);
    }

    private void check(StringBuilder out) throws DockerfileException {
        if (out.length() > DockerfileLimits.MAX_EXPANSION_BYTES) {
            throw tooLong();
        }
    }

    private DockerfileException tooLong() {
        return new DockerfileException(line, "a variable expansion is larger than the limit of "
                + DockerfileLimits.MAX_EXPANSION_BYTES + " bytes");
    }
}
