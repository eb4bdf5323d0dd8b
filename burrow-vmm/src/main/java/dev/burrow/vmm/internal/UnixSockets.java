package dev.burrow.vmm.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Connecting to sockets a freshly spawned process is about to create. */
public final class UnixSockets {

    private UnixSockets() {}

    /**
     * Connects to {@code path}, retrying while it does not exist or refuses, until the deadline or
     * until {@code stillWorthIt} says the listener died.
     */
    public static SocketChannel connect(Path path, Duration timeout, BooleanSupplier stillWorthIt) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        UnixDomainSocketAddress addr = UnixDomainSocketAddress.of(path);
        long pause = 200_000; // 0.2 ms, doubling to 5 ms
        while (true) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(addr);
                return ch;
            } catch (IOException e) {
                ch.close();
                if (!stillWorthIt.getAsBoolean()) {
                    throw new IOException("gave up connecting to " + path + ": the process behind it ended", e);
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("could not connect to " + path + " within " + timeout.toMillis() + " ms: " + e.getMessage(), e);
                }
                LockSupport.parkNanos(pause);
                pause = Math.min(pause * 2, 5_000_000);
            }
        }
    }
}
