package dev.burrow.oci.registry;

import java.util.Base64;

/** Random bytes as text, for test files that must not compress away. */
final class Base64Text {
    private Base64Text() {
    }

    static String of(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
