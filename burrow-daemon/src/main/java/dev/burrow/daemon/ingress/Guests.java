package dev.burrow.daemon.ingress;

import java.io.IOException;
import java.time.Duration;
import java.util.OptionalInt;

/** What the endpoint needs of the microVMs: their ports, and a hold on a running one to dial into. */
public interface Guests {

    /** The ports of a tenant's microVM; a microVM the tenant does not own is not found. */
    Ports ports(String tenantId, String microVmId);

    /** A hold on the running microVM (resumed when its policy says so); activity until closed. */
    Visit visit(String tenantId, String microVmId, String requestId) throws IOException;

    /** @param defaultPort the version's ingressPort; @param hooksPort the port ingress never reaches, when hooks are on */
    record Ports(int defaultPort, OptionalInt hooksPort) {}

    /** A running microVM held for one request (or one tunnel). */
    interface Visit extends AutoCloseable {

        /** Identifies the guest channel: pooled streams of another channel (before a suspend) are not reused. */
        Object channel();

        /** A new stream to {@code port} inside the guest; an {@link IOException} when nothing answers there. */
        GuestLink dial(int port, Duration timeout) throws IOException;

        @Override
        void close();
    }
}
