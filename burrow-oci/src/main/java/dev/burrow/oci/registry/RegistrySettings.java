package dev.burrow.oci.registry;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The registry client's limits and policy; {@link #defaults()} holds every default in one place.
 *
 * @param insecureHosts    hosts ({@code host} or {@code host:port}) reached over plain HTTP
 *                         besides loopback, which always is
 * @param connectTimeout   to open a connection
 * @param readTimeout      for a response to start, and the longest a body may stall
 * @param maxManifestBytes the largest index or manifest (and config) read into memory
 * @param maxBlobBytes     the largest layer fetched
 * @param maxRedirects     redirects followed for one request
 * @param transferAttempts attempts at one blob within a pull; each after the first resumes
 *                         where the previous one was cut off when it made progress
 * @param httpClient       the client to send with, or null for one built from these settings
 */
public record RegistrySettings(Set<String> insecureHosts, Duration connectTimeout, Duration readTimeout,
        int maxManifestBytes, long maxBlobBytes, int maxRedirects, int transferAttempts, HttpClient httpClient) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);
    /** The distribution spec's suggested cap on a manifest, and Burrow's cap on any metadata. */
    public static final int DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
    /** One layer: as large as the biggest disk Burrow builds. */
    public static final long DEFAULT_MAX_BLOB_BYTES = 16L * 1024 * 1024 * 1024;
    public static final int DEFAULT_MAX_REDIRECTS = 5;
    public static final int DEFAULT_TRANSFER_ATTEMPTS = 3;

    public RegistrySettings {
        insecureHosts = Set.copyOf(insecureHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList());
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        if (maxManifestBytes <= 0 || maxBlobBytes <= 0 || maxRedirects < 0 || transferAttempts < 1) {
            throw new IllegalArgumentException("registry limits must be positive");
        }
    }

    public static RegistrySettings defaults() {
        return new RegistrySettings(Set.of(), DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT,
                DEFAULT_MAX_MANIFEST_BYTES, DEFAULT_MAX_BLOB_BYTES, DEFAULT_MAX_REDIRECTS,
                DEFAULT_TRANSFER_ATTEMPTS, null);
    }

    public RegistrySettings withInsecureHosts(Set<String> hosts) {
        return new RegistrySettings(hosts, connectTimeout, readTimeout, maxManifestBytes, maxBlobBytes,
                maxRedirects, transferAttempts, httpClient);
    }

    public RegistrySettings withTimeouts(Duration connect, Duration read) {
        return new RegistrySettings(insecureHosts, connect, read, maxManifestBytes, maxBlobBytes,
                maxRedirects, transferAttempts, httpClient);
    }

    public RegistrySettings withLimits(int manifestBytes, long blobBytes) {
        return new RegistrySettings(insecureHosts, connectTimeout, readTimeout, manifestBytes, blobBytes,
                maxRedirects, transferAttempts, httpClient);
    }

    public RegistrySettings withTransferAttempts(int attempts) {
        return new RegistrySettings(insecureHosts, connectTimeout, readTimeout, maxManifestBytes, maxBlobBytes,
                maxRedirects, attempts, httpClient);
    }

    public RegistrySettings withHttpClient(HttpClient client) {
        return new RegistrySettings(insecureHosts, connectTimeout, readTimeout, maxManifestBytes, maxBlobBytes,
                maxRedirects, transferAttempts, client);
    }

    /**
     * True when {@code host} (a URI host, IPv6 in brackets or not) with {@code port} may be
     * reached over plain HTTP: loopback (127.0.0.0/8, ::1, localhost) or listed as insecure.
     * Names other than {@code localhost} are not resolved: a DNS answer cannot make a host insecure.
     */
    public boolean allowsPlainHttp(String host, int port) {
        String h = host.toLowerCase(Locale.ROOT);
        String bare = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        if (isLoopback(bare)) {
            return true;
        }
        return insecureHosts.contains(h) || insecureHosts.contains(bare)
                || (port > 0 && (insecureHosts.contains(h + ":" + port) || insecureHosts.contains("[" + bare + "]:" + port)));
    }

    static boolean isLoopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        boolean ipv4Literal = host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
        boolean ipv6Literal = host.indexOf(':') >= 0 && host.matches("[0-9a-f:.]+");
        if (!ipv4Literal && !ipv6Literal) {
            return false;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
