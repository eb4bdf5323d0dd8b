package dev.burrow.vmm.kernel.internal;

/** fnmatch-style matching of module alias patterns: {@code *}, {@code ?} and {@code [...]} classes. */
final class Glob {
    private Glob() {
    }

    static boolean hasWildcards(String pattern) {
        return pattern.indexOf('*') >= 0 || pattern.indexOf('?') >= 0 || pattern.indexOf('[') >= 0;
    }

    static boolean matches(String pattern, String text) {
        return match(pattern, 0, text, 0);
    }

    private static boolean match(String p, int pi, String t, int ti) {
        while (pi < p.length()) {
            char c = p.charAt(pi);
            if (c == '*') {
                while (pi < p.length() && p.charAt(pi) == '*') {
                    pi++;
                }
                if (pi == p.length()) {
                    return true;
                }
                for (int k = ti; k <= t.length(); k++) {
                    if (match(p, pi, t, k)) {
                        return true;
                    }
                }
                return false;
            }
            if (ti >= t.length()) {
                return false;
            }
            if (c == '[') {
                int end = p.indexOf(']', pi + 2);
                if (end < 0) {
                    if (t.charAt(ti) != '[') {
                        return false;
                    }
                    pi++;
                } else {
                    if (!inClass(p.substring(pi + 1, end), t.charAt(ti))) {
                        return false;
                    }
                    pi = end + 1;
                }
                ti++;
                continue;
            }
            if (c != '?' && c != t.charAt(ti)) {
                return false;
            }
            pi++;
            ti++;
        }
        return ti == t.length();
    }

    private static boolean inClass(String set, char ch) {
        boolean negate = !set.isEmpty() && (set.charAt(0) == '!' || set.charAt(0) == '^');
        String s = negate ? set.substring(1) : set;
        boolean found = false;
        for (int i = 0; i < s.length(); i++) {
            if (i + 2 < s.length() && s.charAt(i + 1) == '-') {
                found |= ch >= s.charAt(i) && ch <= s.charAt(i + 2);
                i += 2;
            } else {
                found |= ch == s.charAt(i);
            }
        }
        return found != negate;
    }
}
