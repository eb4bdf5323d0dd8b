package dev.burrow.oci.dockerfile.internal;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Go's {@code filepath.Match} syntax as Java regular expressions: {@code *} is any run of
 * non-{@code /} characters, {@code ?} one such character, {@code [a-z]} / {@code [^a-z]} a class,
 * {@code \} escapes the next character. With {@code doubleStar}, {@code **} also matches any
 * number of directories (Docker's {@code .dockerignore} extension).
 */
public final class GoGlob {
    private GoGlob() {
    }

    /** True when the text has glob characters (then it is matched, not taken literally). */
    public static boolean hasMeta(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
    }

    /** Compiles a pattern; a malformed one (an unclosed class) is an {@link IllegalArgumentException}. */
    public static Pattern compile(String glob, boolean doubleStar) {
        StringBuilder re = new StringBuilder("^");
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
                        re.append(i >= n ? ".*" : "(?:.*/)?");
                    } else {
                        re.append("[^/]*");
                    }
                }
                case '?' -> re.append("[^/]");
                case '\\' -> {
                    if (i < n) {
                        re.append(Pattern.quote(String.valueOf(glob.charAt(i++))));
                    } else {
                        re.append("\\\\");
                    }
                }
                case '[' -> i = charClass(glob, i, re);
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        re.append('$');
        try {
            return Pattern.compile(re.toString(), Pattern.DOTALL);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("malformed pattern '" + glob + "'");
        }
    }

    private static int charClass(String glob, int i, StringBuilder re) {
        int n = glob.length();
        StringBuilder cls = new StringBuilder("[");
        if (i < n && glob.charAt(i) == '^') {
            cls.append('^');
            i++;
        }
        boolean any = false;
        while (true) {
            if (i >= n) {
                throw new IllegalArgumentException("malformed pattern '" + glob + "' (unclosed [)");
            }
            char c = glob.charAt(i++);
            if (c == ']' && any) {
                break;
            }
            if (c == '\\') {
                if (i >= n) {
                    throw new IllegalArgumentException("malformed pattern '" + glob + "'");
                }
                c = glob.charAt(i++);
            }
            any = true;
            cls.append(escapeInClass(c));
            if (i + 1 < n && glob.charAt(i) == '-' && glob.charAt(i + 1) != ']') {
                char hi = glob.charAt(i + 1);
                i += 2;
                if (hi == '\\') {
                    if (i >= n) {
                        throw new IllegalArgumentException("malformed pattern '" + glob + "'");
                    }
                    hi = glob.charAt(i++);
                }
                if (hi < c) {
                    throw new IllegalArgumentException("malformed pattern '" + glob + "' (bad range)");
                }
                cls.append('-').append(escapeInClass(hi));
            }
        }
        re.append(cls).append(']');
        return i;
    }

    private static String escapeInClass(char c) {
        return Character.isLetterOrDigit(c) ? String.valueOf(c) : "\\" + c;
    }
}
