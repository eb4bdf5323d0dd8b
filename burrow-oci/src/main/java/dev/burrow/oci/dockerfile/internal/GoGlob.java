package dev.burrow.oci.dockerfile.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Go's {@code filepath.Match} syntax: {@code *} is any run of non-{@code /} characters, {@code ?}
 * one such character, {@code [a-z]} / {@code [^a-z]} a class, {@code \} escapes the next
 * character. With {@code doubleStar}, {@code **} also matches any number of directories
 * (Docker's {@code .dockerignore} extension: {@code **}{@code /} and a {@code **} inside a pattern
 * match zero or more whole directories, a trailing {@code **} anything).
 *
 * <p>Matching simulates the pattern's automaton over the text, so its cost is at most
 * pattern length × text length whatever the pattern (a backtracking regular expression can take
 * exponential time on {@code *a*a*a*…b}; these patterns come from tenants).
 */
public final class GoGlob {
    private enum Kind {
        LITERAL, ANY, CLASS, STAR, ANYTHING, DIRECTORIES
    }

    private record Token(Kind kind, char c, List<char[]> ranges, boolean negated) {
        boolean accepts(char x) {
            return switch (kind) {
                case LITERAL -> x == c;
                case ANY -> x != '/';
                case CLASS -> {
                    boolean in = false;
                    for (char[] r : ranges) {
                        if (x >= r[0] && x <= r[1]) {
                            in = true;
                            break;
                        }
                    }
                    yield in != negated;
                }
                default -> false;
            };
        }
    }

    /** A pattern's length: matching costs up to pattern × text length. */
    public static final int MAX_PATTERN_LENGTH = 4096;

    private final String pattern;
    private final Token[] tokens;

    private GoGlob(String pattern, List<Token> tokens) {
        this.pattern = pattern;
        this.tokens = tokens.toArray(new Token[0]);
    }

    /** True when the text has glob characters (then it is matched, not taken literally). */
    public static boolean hasMeta(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
    }

    /** Compiles a pattern; a malformed one (an unclosed class, a bad range) is an {@link IllegalArgumentException}. */
    public static GoGlob compile(String glob, boolean doubleStar) {
        if (glob.length() > MAX_PATTERN_LENGTH) {
            throw new IllegalArgumentException("pattern longer than " + MAX_PATTERN_LENGTH + " characters");
        }
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = glob.length();
        while (i < n) {
            char c = glob.charAt(i++);
            switch (c) {
                case '*' -> {
                    if (doubleStar && i < n && glob.charAt(i) == '*') {
                        i++;
                        if (i < n && glob.charAt(i) == '/') {
                            i++;
                        }
                        out.add(new Token(i >= n ? Kind.ANYTHING : Kind.DIRECTORIES, (char) 0, null, false));
                    } else {
                        out.add(new Token(Kind.STAR, (char) 0, null, false));
                    }
                }
                case '?' -> out.add(new Token(Kind.ANY, (char) 0, null, false));
                case '\\' -> out.add(new Token(Kind.LITERAL, i < n ? glob.charAt(i++) : '\\', null, false));
                case '[' -> i = charClass(glob, i, out);
                default -> out.add(new Token(Kind.LITERAL, c, null, false));
            }
        }
        return new GoGlob(glob, out);
    }

    private static int charClass(String glob, int i, List<Token> out) {
        int n = glob.length();
        boolean negated = false;
        if (i < n && glob.charAt(i) == '^') {
            negated = true;
            i++;
        }
        List<char[]> ranges = new ArrayList<>();
        while (true) {
            if (i >= n) {
                throw new IllegalArgumentException("malformed pattern '" + glob + "' (unclosed [)");
            }
            char lo = glob.charAt(i++);
            if (lo == ']' && !ranges.isEmpty()) {
                break;
            }
            if (lo == '\\') {
                if (i >= n) {
                    throw new IllegalArgumentException("malformed pattern '" + glob + "'");
                }
                lo = glob.charAt(i++);
            }
            char hi = lo;
            if (i + 1 < n && glob.charAt(i) == '-' && glob.charAt(i + 1) != ']') {
                hi = glob.charAt(i + 1);
                i += 2;
                if (hi == '\\') {
                    if (i >= n) {
                        throw new IllegalArgumentException("malformed pattern '" + glob + "'");
                    }
                    hi = glob.charAt(i++);
                }
                if (hi < lo) {
                    throw new IllegalArgumentException("malformed pattern '" + glob + "' (bad range)");
                }
            }
            ranges.add(new char[] {lo, hi});
        }
        out.add(new Token(Kind.CLASS, (char) 0, List.copyOf(ranges), negated));
        return i;
    }

    /** True when the whole text matches. */
    public boolean matches(String text) {
        int t = tokens.length;
        // at[k]: about to match token k; inDirs[k]: inside the directories run of token k (DIRECTORIES)
        boolean[] at = new boolean[t + 1];
        boolean[] inDirs = new boolean[t + 1];
        boolean[] next = new boolean[t + 1];
        boolean[] nextDirs = new boolean[t + 1];
        at[0] = true;
        close(at);
        for (int p = 0; p < text.length(); p++) {
            char x = text.charAt(p);
            Arrays.fill(next, false);
            Arrays.fill(nextDirs, false);
            boolean alive = false;
            for (int k = 0; k < t; k++) {
                Token tok = tokens[k];
                if (inDirs[k]) {
                    nextDirs[k] = true;
                    if (x == '/') {
                        next[k + 1] = true;
                    }
                }
                if (!at[k]) {
                    continue;
                }
                switch (tok.kind()) {
                    case STAR -> {
                        if (x != '/') {
                            next[k] = true;
                        }
                    }
                    case ANYTHING -> next[k] = true;
                    case DIRECTORIES -> {
                        nextDirs[k] = true;
                        if (x == '/') {
                            next[k + 1] = true;
                        }
                    }
                    default -> {
                        if (tok.accepts(x)) {
                            next[k + 1] = true;
                        }
                    }
                }
            }
            close(next);
            for (int k = 0; k <= t && !alive; k++) {
                alive = next[k] || nextDirs[k];
            }
            if (!alive) {
                return false;
            }
            boolean[] swap = at;
            at = next;
            next = swap;
            swap = inDirs;
            inDirs = nextDirs;
            nextDirs = swap;
        }
        return at[t];
    }

    /** Follows the empty matches: a star, a trailing {@code **} and a directories run may match nothing. */
    private void close(boolean[] at) {
        for (int k = 0; k < tokens.length; k++) {
            Kind kind = tokens[k].kind();
            if (at[k] && (kind == Kind.STAR || kind == Kind.ANYTHING || kind == Kind.DIRECTORIES)) {
                at[k + 1] = true;
            }
        }
    }

    @Override
    public String toString() {
        return pattern;
    }
}
