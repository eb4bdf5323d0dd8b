package dev.burrow.daemon.egress.internal;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one microVM's listeners share: the sockets to close when the microVM stops (listening
 * and accepted ones), and the one peer check — a connection or datagram must come from the
 * microVM's own path (the /{@value #PATH_PREFIX_BITS} block of its host address: the guest, or
 * its namespace when that rewrites the source), never from anywhere else.
 */
public final class Listeners implements AutoCloseable {

    /** A microVM's path is one /29 block of the Burrow range (VethPath: host .1, namespace .2/.5, guest .6). */
    public static final int PATH_PREFIX_BITS = 29;
    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);

    private final String vmId;
    private final InetAddress hostAddress;
    /** How long {@link #close} waits for the listening threads to let their ports go. */
    static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(2);
    private final Set<Closeable> open = ConcurrentHashMap.newKeySet();
    private final List<Thread> listening = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public Listeners(String vmId, InetAddress hostAddress) {
        this.vmId = vmId;
        this.hostAddress = hostAddress;
    }

    public String vmId() {
        return vmId;
    }

    public InetAddress hostAddress() {
        return hostAddress;
    }

    /** Whether {@code peer} is on this microVM's path. */
    public boolean fromPath(InetAddress peer) {
        byte[] a = peer.getAddress();
        byte[] h = hostAddress.getAddress();
        if (a.length != 4 || h.length != 4) {
            return false;
        }
        int mask = -1 << (32 - PATH_PREFIX_BITS);
        return (toInt(a) & mask) == (toInt(h) & mask);
    }

    private static int toInt(byte[] b) {
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    /** Tracks a socket; false (and it is closed) when the listeners already closed. */
    public boolean track(Closeable c) {
        open.add(c);
        if (closed) {
            open.remove(c);
            quietly(c);
            return false;
        }
        return true;
    }

    /**
     * Starts {@code loop} (a listening socket's accept or receive loop) on a virtual thread that
     * {@link #close} waits for: a socket closed while a virtual thread waits on it is only released
     * when that thread wakes, and a resume binds the same address and port again at once.
     */
    public void listen(String name, Runnable loop) {
        listening.add(Thread.ofVirtual().name(name + "-" + vmId).start(loop));
    }

    public void untrack(Closeable c) {
        open.remove(c);
        quietly(c);
    }

    public boolean closed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        for (Closeable c : open) {
            untrack(c);
        }
        long deadline = System.nanoTime() + RELEASE_TIMEOUT.toNanos();
        for (Thread t : listening) {
            try {
                if (!t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                    LOG.warn("{}: {} did not stop within {} ms", vmId, t.getName(), RELEASE_TIMEOUT.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    public static void quietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            LOG.debug("closing: {}", e.toString());
        }
    }
}
