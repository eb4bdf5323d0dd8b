package dev.burrow.oci.dockerfile.internal;

import java.util.ArrayList;
import java.util.List;

/** Splits instruction arguments into words the way Docker's parser does: quotes and escapes kept. */
public final class Words {
    private Words() {
    }

    /**
     * Whitespace-separated words; whitespace inside single or double quotes, or escaped, does not
     * separate. The words keep their quotes and escape characters (expansion removes them).
     */
    public static List<String> split(String s, char escape) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote == 0 && Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
                continue;
            }
            inWord = true;
            w.append(c);
            if (c == escape && quote != '\'' && i + 1 < s.length()) {
                w.append(s.charAt(++i));
            } else if (quote == 0 && (c == '\'' || c == '"')) {
                quote = c;
            } else if (c == quote) {
                quote = 0;
            }
        }
        if (inWord) {
            out.add(w.toString());
        }
        return out;
    }

    /** The text after the first {@code n} words (leading whitespace removed), or "" when none. */
    public static String afterWords(String s, int n, char escape) {
        int i = 0;
        for (int k = 0; k < n; k++) {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            char quote = 0;
            while (i < s.length() && (quote != 0 || !Character.isWhitespace(s.charAt(i)))) {
                char c = s.charAt(i);
                if (c == escape && quote != '\'' && i + 1 < s.length()) {
                    i++;
                } else if (quote == 0 && (c == '\'' || c == '"')) {
                    quote = c;
                } else if (c == quote) {
                    quote = 0;
                }
                i++;
            }
        }
        return s.substring(i).strip();
    }

    /** Removes quotes and escapes without expanding anything; {@code quoted[0]} tells whether any were seen. */
    public static String unquote(String raw, char escape, boolean[] quoted) {
        StringBuilder out = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == escape && quote != '\'' && i + 1 < raw.length()) {
                quoted[0] = true;
                out.append(raw.charAt(++i));
            } else if (quote == 0 && (c == '\'' || c == '"')) {
                quoted[0] = true;
                quote = c;
            } else if (c == quote) {
                quote = 0;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
