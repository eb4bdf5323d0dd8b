package dev.burrow.daemon.ingress;

import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.microvms.NotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake {@link Guests}: one microVM ({@link #ID} of {@link #TENANT}) whose guest ports are plain
 * loopback sockets of in-test servers. Counts the visits that are open and the streams dialed.
 */
final class SocketGuests implements Guests {

    static final String TENANT = "t1";
    static final String ID = "vm1";
    static final int INGRESS_PORT = 8080;
    static final int HOOKS_PORT = 9000;

    /** Guest port → loopback port of the in-test server standing for it. */
    final Map<Integer, Integer> ports = new ConcurrentHashMap<>();
    final AtomicInteger openVisits = new AtomicInteger();
    final AtomicInteger visits = new AtomicInteger();
    final AtomicInteger dials = new AtomicInteger();
    volatile boolean suspended;
    volatile Object channel = new Object();

    @Override
    public Ports ports(String tenantId, String microVmId) {
        if (!tenantId.equals(TENANT) || !microVmId.equals(ID) && !microVmId.equals("vm2")) {
            throw new NotFoundException("no microVM " + microVmId);
        }
        return new Ports(INGRESS_PORT, OptionalInt.of(HOOKS_PORT));
    }

    @Override
    public Visit visit(String tenantId, String microVmId, String requestId) {
        if (suspended) {
            throw new ConflictException("microVM " + microVmId + " is SUSPENDED; resume it first: POST /v1/microvms/" + microVmId + "/resume");
        }
        openVisits.incrementAndGet();
        visits.incrementAndGet();
        Object ch = channel;
        return new Visit() {
            private boolean closed;

            @Override
            public Object channel() {
                return ch;
            }

            @Override
            public GuestLink dial(int port, Duration timeout) throws IOException {
                Integer local = ports.get(port);
                if (local == null) {
                    throw new IOException("connection refused");
                }
                dials.incrementAndGet();
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", local), (int) timeout.toMillis());
                return new SocketLink(s);
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    openVisits.decrementAndGet();
                }
            }
        };
    }

    private record SocketLink(Socket socket) implements GuestLink {
        @Override
        public InputStream input() {
            try {
                return socket.getInputStream();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public OutputStream output() {
            try {
                return socket.getOutputStream();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void shutdownOutput() {
            try {
                socket.shutdownOutput();
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closed
            }
        }
    }
}
