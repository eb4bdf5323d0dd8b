package dev.burrow.oci.internal;

import java.util.ArrayList;
import java.util.List;

/** Splits tar member names into components: leading {@code /} and {@code ./} dropped. */
public final class EntryName {
    private EntryName() {
    }

    /** The components of a name, or null when it has a {@code ..} component. */
    public static List<String> components(String name) {
        List<String> out = new ArrayList<>();
        for (String p : name.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                return null;
            }
            out.add(p);
        }
        return out;
    }

    /** True when resolving the name lexically would climb above the root. */
    public static boolean escapesLexically(String name) {
        int depth = 0;
        for (String p : name.split("/")) {
            if (p.equals("..")) {
                if (--depth < 0) {
                    return true;
                }
            } else if (!p.isEmpty() && !p.equals(".")) {
                depth++;
            }
        }
        return false;
    }
}
