package dev.burrow.daemon.ingress;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * One byte stream to a port inside a guest (an agent TCP stream, or a plain socket in tests).
 * Reads block; {@link #close} from another thread makes a blocked read fail, which is how the
 * forwarder's deadlines cut a silent guest.
 */
public interface GuestLink extends AutoCloseable {

    InputStream input();

    OutputStream output();

    /** Half-closes the host's side: the guest reads EOF, its answer may still come. */
    void shutdownOutput();

    @Override
    void close();
}
