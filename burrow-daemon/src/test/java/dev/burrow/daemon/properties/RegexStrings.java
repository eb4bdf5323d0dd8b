package dev.burrow.daemon.properties;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Strings matching a JSON Schema {@code pattern}, for the regex subset the OpenAPI document uses:
 * literals and escapes ({@code \.}, {@code \*}, {@code \s}), {@code .}, character classes with
 * ranges and negation, groups, and the quantifiers {@code ? * + {n} {m,n}}. A pattern without a
 * trailing {@code $} gets a free suffix (JSON Schema patterns are unanchored). Unbounded
 * repetition is capped at {@link Settings#MAX_REGEX_REPEAT}.
 */
public final class RegexStrings {

    /** Characters {@code .} and negated classes draw from: printable ASCII, a few non-ASCII, no line breaks. */
    private static final String ANY = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~éü✓";
    private static final String WHITESPACE = " \t\n\r\f";

    private final String source;
    private int pos;

    private RegexStrings(String source) {
        this.source = source;
    }

    /** An arbitrary of strings matching {@code pattern}; generated values are checked with {@link Pattern#find}. */
    public static Arbitrary<String> matching(String pattern) {
        boolean anchoredEnd = pattern.endsWith("$") && !pattern.endsWith("\\$");
        RegexStrings p = new RegexStrings(anchoredEnd ? pattern.substring(0, pattern.length() - 1) : pattern);
        p.pos = pattern.startsWith("^") ? 1 : 0;
        Arbitrary<String> core = p.sequence();
        Arbitrary<String> withSuffix = anchoredEnd ? core
                : Combinators.combine(core, Arbitraries.strings().withChars(ANY).ofMaxLength(Settings.MAX_REGEX_REPEAT)).as(String::concat);
        Pattern check = Pattern.compile(pattern);
        return withSuffix.filter(s -> check.matcher(s).find());
    }

    private Arbitrary<String> sequence() {
        List<Arbitrary<String>> parts = new ArrayList<>();
        while (pos < source.length() && source.charAt(pos) != ')') {
            Arbitrary<String> atom = atom();
            parts.add(quantified(atom));
        }
        if (parts.isEmpty()) {
            return Arbitraries.just("");
        }
        return Combinators.combine(parts).as(l -> String.join("", l));
    }

    private Arbitrary<String> atom() {
        char c = source.charAt(pos++);
        return switch (c) {
            case '(' -> {
                Arbitrary<String> inner = sequence();
                expect(')');
                yield inner;
            }
            case '[' -> chars(charClass());
            case '.' -> chars(ANY);
            case '\\' -> chars(escape(source.charAt(pos++)));
            default -> Arbitraries.just(String.valueOf(c));
        };
    }

    private Arbitrary<String> quantified(Arbitrary<String> atom) {
        if (pos >= source.length()) {
            return atom;
        }
        int min;
        int max;
        switch (source.charAt(pos)) {
            case '?' -> { min = 0; max = 1; pos++; }
            case '*' -> { min = 0; max = Settings.MAX_REGEX_REPEAT; pos++; }
            case '+' -> { min = 1; max = Settings.MAX_REGEX_REPEAT; pos++; }
            case '{' -> {
                int close = source.indexOf('}', pos);
                String[] bounds = source.substring(pos + 1, close).split(",", -1);
                min = Integer.parseInt(bounds[0]);
                max = bounds.length == 1 ? min : bounds[1].isEmpty() ? min + Settings.MAX_REGEX_REPEAT : Integer.parseInt(bounds[1]);
                pos = close + 1;
            }
            default -> { return atom; }
        }
        return atom.list().ofMinSize(min).ofMaxSize(max).map(l -> String.join("", l));
    }

    /** The characters of a class such as {@code [a-z0-9._-]} or {@code [^=]}, the cursor after {@code [}. */
    private String charClass() {
        boolean negated = source.charAt(pos) == '^';
        if (negated) {
            pos++;
        }
        StringBuilder set = new StringBuilder();
        while (source.charAt(pos) != ']') {
            char c = source.charAt(pos++);
            if (c == '\\') {
                set.append(escape(source.charAt(pos++)));
            } else if (source.charAt(pos) == '-' && source.charAt(pos + 1) != ']') {
                char to = source.charAt(pos + 1);
                pos += 2;
                for (char x = c; x <= to; x++) {
                    set.append(x);
                }
            } else {
                set.append(c);
            }
        }
        pos++;
        if (!negated) {
            return set.toString();
        }
        StringBuilder rest = new StringBuilder();
        ANY.chars().filter(x -> set.indexOf(String.valueOf((char) x)) < 0).forEach(x -> rest.append((char) x));
        return rest.toString();
    }

    private static String escape(char c) {
        return switch (c) {
            case 's' -> WHITESPACE;
            case 'd' -> "0123456789";
            default -> String.valueOf(c);
        };
    }

    private static Arbitrary<String> chars(String set) {
        return Arbitraries.of(set.chars().mapToObj(x -> String.valueOf((char) x)).distinct().toList());
    }

    private void expect(char c) {
        if (pos >= source.length() || source.charAt(pos) != c) {
            throw new IllegalArgumentException("unsupported pattern " + source + " at " + pos);
        }
        pos++;
    }
}
