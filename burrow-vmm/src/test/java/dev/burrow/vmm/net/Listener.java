package dev.burrow.vmm.net;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP or UDP listener on the host that counts what reaches it (a TCP connection is closed at
 * once): where a test sees whether a guest got through. Closing stops it.
 */
final class Listener implements AutoCloseable {

    private final AutoCloseable socket;
    private final AtomicInteger arrivals = new AtomicInteger();
    private final Semaphore arrived = new Semaphore(0);
    final int port;

    private Listener(AutoCloseable socket, int port) {
        this.socket = socket;
        this.port = port;
    }

    /** TCP on {@code address:port} (port 0: any free one). */
    static Listener tcp(String address, int port) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(address), port));
        Listener l = new Listener(server, server.getLocalPort());
        Thread.ofVirtual().name("listener-" + address + ":" + l.port).start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    l.arrive();
                } catch (IOException e) {
                    return; // closed
                }
            }
        });
        return l;
    }

    /** UDP on {@code address:port}: every datagram counts. */
    static Listener udp(String address, int port) throws IOException {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(address), port));
        Listener l = new Listener(socket, socket.getLocalPort());
        Thread.ofVirtual().name("udp-" + address + ":" + l.port).start(() -> {
            byte[] buf = new byte[1500];
            while (!socket.isClosed()) {
                try {
                    socket.receive(new DatagramPacket(buf, buf.length));
                    l.arrive();
                } catch (IOException e) {
                    return;
                }
            }
        });
        return l;
    }

    private void arrive() {
        arrivals.incrementAndGet();
        arrived.release();
    }

    int arrivals() {
        return arrivals.get();
    }

    /** Whether something arrived within {@code timeout} (consumes one arrival's signal). */
    boolean awaitArrival(Duration timeout) throws InterruptedException {
        return arrived.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws Exception {
        socket.close();
    }
}
