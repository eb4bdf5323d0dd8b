package dev.burrow.daemon.ingress;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.BufferUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a client connection becomes once the guest answered 101: raw bytes both ways between the
 * client's {@link EndPoint} and the guest stream, each direction through one bounded buffer (a
 * side that does not read stops the other: blocking writes, no queues). The microVM visit is held,
 * as activity, until both directions end or either fails; the endpoint's idle timeout
 * ({@link IngressSettings#tunnelIdleTimeout}) closes a tunnel where nothing moves.
 */
final class Tunnel extends AbstractConnection implements Connection.UpgradeTo {

    private static final Logger LOG = LoggerFactory.getLogger(Tunnel.class);

    private final GuestLink link;
    private final GuestInput guestIn;
    private final OutputStream guestOut;
    private final Guests.Visit visit;
    private final IngressSettings settings;
    private final ByteBuffer fromClient;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile boolean clientDone;
    private volatile boolean guestDone;
    private byte[] early = new byte[0];

    Tunnel(EndPoint endPoint, Executor executor, GuestLink link, GuestInput guestIn, Guests.Visit visit, IngressSettings settings) {
        super(endPoint, executor);
        this.link = link;
        this.guestIn = guestIn;
        this.guestOut = link.output();
        this.visit = visit;
        this.settings = settings;
        this.fromClient = BufferUtil.allocate(settings.bufferBytes());
    }

    @Override
    public void onUpgradeTo(ByteBuffer prefilled) {
        if (prefilled != null && prefilled.hasRemaining()) {
            early = new byte[prefilled.remaining()];
            prefilled.get(early);
        }
    }

    @Override
    public void onOpen() {
        super.onOpen();
        getEndPoint().setIdleTimeout(settings.tunnelIdleTimeout().toMillis());
        // the guest's own reads wait as long as the endpoint lets the tunnel idle
        guestIn.timeout(settings.tunnelIdleTimeout().plus(Duration.ofSeconds(1)));
        Thread.ofVirtual().name("ingress-tunnel").start(this::guestToClient);
        try {
            if (early.length > 0) {
                guestOut.write(early);
            }
            fillInterested();
        } catch (IOException e) {
            fail(e);
        }
    }

    @Override
    public void onFillable() {
        try {
            while (true) {
                int n = getEndPoint().fill(fromClient);
                if (n > 0) {
                    byte[] chunk = new byte[fromClient.remaining()];
                    fromClient.get(chunk);
                    BufferUtil.clear(fromClient);
                    guestOut.write(chunk);
                } else if (n == 0) {
                    fillInterested();
                    return;
                } else {
                    clientDone = true;
                    link.shutdownOutput();
                    if (guestDone) {
                        close();
                    }
                    return;
                }
            }
        } catch (IOException e) {
            fail(e);
        }
    }

    private void guestToClient() {
        byte[] buf = new byte[settings.bufferBytes()];
        try {
            int n;
            while ((n = guestIn.read(buf, 0, buf.length)) > 0) {
                try (Blocker.Callback cb = Blocker.callback()) {
                    getEndPoint().write(cb, ByteBuffer.wrap(buf, 0, n));
                    cb.block();
                }
            }
            guestDone = true;
            getEndPoint().shutdownOutput();
            if (clientDone) {
                close();
            }
        } catch (IOException e) {
            fail(e);
        }
    }

    private void fail(Throwable t) {
        LOG.debug("ingress tunnel ended: {}", t.toString());
        close();
    }

    @Override
    public void onClose(Throwable cause) {
        super.onClose(cause);
        release();
    }

    /** Ends the guest side and the visit (once), whether or not the tunnel ever opened. */
    void release() {
        if (released.compareAndSet(false, true)) {
            link.close();
            visit.close();
        }
    }
}
