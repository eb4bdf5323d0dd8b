package dev.burrow.daemon.api;

import java.util.Locale;
import java.util.Set;

/**
 * The {@code Host} allowlist against DNS rebinding: a page on an attacker's name that resolves to
 * 127.0.0.1 must not reach the API. Loopback names and the listen host are accepted with the
 * listen port; the configured domain and its subdomains (the ingress names
 * {@code {port}-{id}.<domain>}) with any port, as a proxy in front may use its own — unless the
 * domain is a loopback name (the default, localhost), which keeps the listen port.
 */
final class HostCheck {

    private static final int DEFAULT_HTTP_PORT = 80;
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]");

    private final String listenHost;
    private final String domain;
    private volatile int port;

    HostCheck(String listenHost, String domain) {
        this.listenHost = listenHost.toLowerCase(Locale.ROOT).contains(":") && !listenHost.startsWith("[")
                ? "[" + listenHost.toLowerCase(Locale.ROOT) + "]" : listenHost.toLowerCase(Locale.ROOT);
        this.domain = domain.toLowerCase(Locale.ROOT);
    }

    /** The port actually bound (known once the server started). */
    void port(int port) {
        this.port = port;
    }

    /** Null when {@code host} (the header's value) is allowed, else why not. */
    String reject(String host) {
        if (host == null || host.isEmpty()) {
            return "send a Host header naming this daemon, e.g. Host: localhost:" + port;
        }
        String h = host.toLowerCase(Locale.ROOT);
        int colon = h.lastIndexOf(':');
        String name = h;
        Integer p = null;
        if (colon > h.lastIndexOf(']')) {
            name = h.substring(0, colon);
            try {
                p = Integer.parseInt(h.substring(colon + 1));
            } catch (NumberFormatException e) {
                return "the Host header has an invalid port";
            }
        }
        boolean local = LOOPBACK.contains(name) || name.endsWith(".localhost") || name.equals(listenHost);
        if (local) {
            return (p == null ? port == DEFAULT_HTTP_PORT : p == port) ? null : "the Host header names another port than this daemon's (" + port + ")";
        }
        if (name.equals(domain) || name.endsWith("." + domain)) {
            return null;
        }
        return "this daemon answers only for localhost, its listen address and " + domain + " (port " + port + ")";
    }
}
