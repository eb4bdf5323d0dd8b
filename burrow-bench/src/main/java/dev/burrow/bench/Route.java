package dev.burrow.bench;

import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.TcpStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;

/**
 * One way from the benchmark to the guest's HTTP app. A route keeps its connection while the
 * server keeps it alive and opens a new one when it does not (busybox httpd closes after every
 * response, so the direct and tunnel routes connect per GET, as the endpoint does toward the guest).
 */
abstract class Route implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final String host;
    private final String pathPrefix;
    private final Map<String, String> headers;
    private Conn conn;

    Route(String name, String host, String pathPrefix, Map<String, String> headers) {
        this.name = name;
        this.host = host;
        this.pathPrefix = pathPrefix;
        this.headers = headers;
    }

    String name() {
        return name;
    }

    /** A connection's streams and its end. */
    record Conn(InputStream in, OutputStream out, AutoCloseable end) {}

    abstract Conn open() throws IOException;

    HttpProbe.Response get(String path) throws Exception {
        boolean reused = conn != null;
        if (!reused) {
            conn = open();
        }
        HttpProbe.Response r;
        try {
            r = HttpProbe.get(conn.in(), conn.out(), host, pathPrefix + path, headers);
        } catch (IOException e) {
            drop();
            if (!reused) {
                throw new IOException(name + ": GET " + path + ": " + e.getMessage(), e);
            }
            // a kept-alive connection the server closed while this route waited for its turn (its idle
            // timeout): what every keep-alive client does, a GET again on a new connection
            return get(path);
        }
        if (r.status() != 200) {
            drop();
            throw new IOException(name + ": GET " + path + " answered " + r.status() + ": " + new String(r.body()));
        }
        if (!r.keepAlive()) {
            drop();
        }
        return r;
    }

    private void drop() throws Exception {
        if (conn != null) {
            conn.end().close();
            conn = null;
        }
    }

    @Override
    public void close() throws Exception {
        drop();
    }

    /** A plain TCP socket to {@code address:port}: the guest over its veth, or burrowd's endpoint. */
    static Route tcp(String name, String address, int port, String pathPrefix, Map<String, String> headers) {
        return new Route(name, address + ":" + port, pathPrefix, headers) {
            @Override
            Conn open() throws IOException {
                Socket s = new Socket();
                s.setTcpNoDelay(true);
                s.setSoTimeout((int) TIMEOUT.toMillis());
                s.connect(new InetSocketAddress(address, port), (int) TIMEOUT.toMillis());
                return new Conn(s.getInputStream(), s.getOutputStream(), s);
            }
        };
    }

    /** A TCP connection inside the guest through the agent channel, HTTP spoken by hand: no HTTP layer on the host. */
    static Route tunnel(String name, AgentConnection agent, int port) {
        return new Route(name, "127.0.0.1:" + port, "", Map.of()) {
            @Override
            Conn open() throws IOException {
                try {
                    TcpStream s = agent.connect(port, TIMEOUT);
                    return new Conn(s.input(TIMEOUT), s.output(), s);
                } catch (AgentException e) {
                    throw new IOException("agent connect to port " + port + ": " + e.getMessage(), e);
                }
            }
        };
    }
}
