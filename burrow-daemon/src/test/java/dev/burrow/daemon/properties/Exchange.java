package dev.burrow.daemon.properties;

import java.net.http.HttpHeaders;

/**
 * One answer as the client saw it. {@code cut}: the client stopped reading (the window of an
 * open-ended stream, or the size cap); {@code timedOut}: no complete answer within the deadline;
 * {@code transportError}: the connection failed before a complete answer (null when it did not).
 */
public record Exchange(String concretePath, int status, HttpHeaders headers, byte[] body, boolean cut, boolean timedOut,
                       String transportError) {

    public String header(String name) {
        return headers == null ? null : headers.firstValue(name).orElse(null);
    }
}
