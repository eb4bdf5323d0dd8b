package dev.burrow.oci;

import java.util.Objects;

/** An image platform: {@code os/architecture[/variant]}. */
public record Platform(String os, String architecture, String variant) {
    public static final Platform LINUX_AMD64 = new Platform("linux", "amd64", null);

    public Platform {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(architecture, "architecture");
        if (variant != null && variant.isEmpty()) {
            variant = null;
        }
    }

    public static Platform of(String os, String architecture) {
        return new Platform(os, architecture, null);
    }

    /** True for linux/amd64 (any variant: v2/v3 are still x86-64). */
    public boolean isLinuxAmd64() {
        return os.equals("linux") && architecture.equals("amd64");
    }

    @Override
    public String toString() {
        return variant == null ? os + "/" + architecture : os + "/" + architecture + "/" + variant;
    }
}
