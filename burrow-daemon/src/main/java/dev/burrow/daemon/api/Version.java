package dev.burrow.daemon.api;

/** The server version reported by {@code GET /v1/version}. */
public final class Version {
    public static final String SERVER = "0.1.0";

    private Version() {}
}
