package dev.burrow.daemon.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.egress.internal.ClientHellos;
import dev.burrow.daemon.egress.internal.DnsWire;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The egress services of one microVM on loopback: its "path" is 127.0.0.1 (the guest connects
 * from the same /29), upstream DNS is a {@link FakeResolver}, and the servers allowed names
 * resolve to are plain sockets on 127.0.0.2 (HTTP) — the proxy reaches them on test ports.
 */
@Tag("security")
class EgressTest {

    private static final String VM = "vmtest";
    private static final InetAddress HOST = address("127.0.0.1");
    private static final InetAddress SERVER = address("127.0.0.2");

    private FakeResolver resolver;
    private ServerSocket httpServer;
    private ServerSocket tlsServer;
    private final List<String> serverSaw = new CopyOnWriteArrayList<>();
    private Egress egress;
    private DecisionLog log;
    private EgressSettings settings;

    @BeforeEach
    void setUp() throws IOException {
        resolver = new FakeResolver(HOST).answer("allowed.test", "127.0.0.2").answer("x.wild.test", "127.0.0.2")
                .answer("inside.test", "10.1.2.3").answer("mixed.test", "10.9.9.9", "127.0.0.2");
        httpServer = new ServerSocket(0, 50, SERVER);
        tlsServer = new ServerSocket(0, 50, SERVER);
        Thread.ofVirtual().start(() -> serve(httpServer, true));
        Thread.ofVirtual().start(() -> serve(tlsServer, false));
        int[] ports = freePorts(3);
        settings = EgressSettings.DEFAULTS.withUpstreams(List.of(resolver.address())).withBlockedRanges(List.of("10.0.0.0/8"))
                .withPorts(ports[0], ports[1], ports[2]).withLimits(4, Duration.ofSeconds(2), Duration.ofSeconds(5), 1000);
        log = new DecisionLog(settings.decisionsKept(), Clock.systemUTC());
        egress = new Egress(settings, log, id -> Optional.of("127.0.0.1"), httpServer.getLocalPort(), tlsServer.getLocalPort());
    }

    @AfterEach
    void tearDown() throws IOException {
        egress.close();
        resolver.close();
        httpServer.close();
        tlsServer.close();
    }

    private void open(String network) {
        egress.open(VM, network);
    }

    // ---- DNS --------------------------------------------------------------------------------

    @Test
    void allowlistDnsForwardsAllowedNamesAndRefusesOthers() throws IOException {
        open("{\"egress\":\"allowlist\",\"allow\":[\"allowed.test\",\"*.wild.test\"]}");
        byte[] ok = udpQuery(DnsWire.aQuery(11, "Allowed.Test"));
        assertThat(DnsWire.rcode(ok)).isZero();
        assertThat(addresses(ok)).containsExactly("127.0.0.2");
        assertThat(DnsWire.rcode(udpQuery(DnsWire.aQuery(12, "x.wild.test")))).isZero();
        byte[] no = udpQuery(DnsWire.aQuery(13, "wild.test"));
        assertThat(DnsWire.rcode(no)).isEqualTo(DnsWire.RCODE_REFUSED);
        assertThat(DnsWire.rcode(udpQuery(DnsWire.aQuery(14, "evil.test")))).isEqualTo(DnsWire.RCODE_REFUSED);
        assertThat(resolver.asked).containsExactly("allowed.test", "x.wild.test");
        assertThat(log.after(VM, 0, 100)).extracting(d -> d.protocol() + " " + d.name() + " " + d.decision())
                .containsExactly("dns allowed.test allowed", "dns x.wild.test allowed", "dns wild.test denied", "dns evil.test denied");
    }

    @Test
    void internetDnsForwardsEveryNameOverUdpAndTcp() throws IOException {
        open("{\"egress\":\"internet\"}");
        assertThat(addresses(udpQuery(DnsWire.aQuery(21, "inside.test")))).containsExactly("10.1.2.3");
        assertThat(DnsWire.rcode(udpQuery(DnsWire.aQuery(22, "unknown.test")))).isEqualTo(DnsWire.RCODE_NXDOMAIN);
        assertThat(addresses(tcpQuery(DnsWire.aQuery(23, "allowed.test")))).containsExactly("127.0.0.2");
        assertThat(resolver.asked).containsExactly("inside.test", "unknown.test", "allowed.test");
    }

    @Test
    @Tag("hostile")
    void aMalformedQueryGetsFormerrAndUnreadableBytesNoAnswer() throws IOException {
        open("{\"egress\":\"internet\"}");
        byte[] pointer = DnsWire.aQuery(31, "a.test");
        pointer[12] = (byte) 0xc0;
        pointer[13] = 12;
        assertThat(DnsWire.rcode(udpQuery(pointer))).isEqualTo(DnsWire.RCODE_FORMERR);
        assertThatThrownBy(() -> udpQuery(new byte[] {1, 2, 3})).isInstanceOf(SocketTimeoutException.class);
        assertThat(resolver.asked).isEmpty();
    }

    @Test
    @Tag("hostile")
    void aFloodOfQueriesIsCutByTheRateLimit() throws IOException {
        settings = settings.withRate(1, 5);
        egress = new Egress(settings, log, id -> Optional.of("127.0.0.1"), httpServer.getLocalPort(), tlsServer.getLocalPort());
        open("{\"egress\":\"internet\"}");
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(HOST, 0))) {
            for (int i = 0; i < 50; i++) {
                byte[] q = DnsWire.aQuery(1000 + i, "allowed.test");
                s.send(new DatagramPacket(q, q.length, HOST, settings.dnsPort()));
            }
            s.setSoTimeout(1000);
            int answers = 0;
            try {
                while (true) {
                    s.receive(new DatagramPacket(new byte[512], 512));
                    answers++;
                }
            } catch (SocketTimeoutException done) {
                // no more answers
            }
            assertThat(answers).isBetween(5, 7);
        }
    }

    // ---- the allowlist proxy --------------------------------------------------------------------

    @Test
    void anAllowedHostIsProxiedToTheAddressBurrowResolves() throws IOException {
        open("{\"egress\":\"allowlist\",\"allow\":[\"allowed.test\"]}");
        String answer = http("GET /hello HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 200").endsWith("hello from allowed.test");
        assertThat(serverSaw).containsExactly("GET /hello HTTP/1.1");
        assertThat(log.after(VM, 0, 10)).extracting(d -> d.protocol() + " " + d.name() + " " + d.port() + " " + d.decision())
                .containsExactly("http allowed.test 80 allowed");
    }

    @Test
    void aNameOffTheListAnIpLiteralAndABlockedAddressAreDenied() throws IOException {
        open("{\"egress\":\"allowlist\",\"allow\":[\"allowed.test\",\"inside.test\",\"mixed.test\"]}");
        assertThat(http("GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n")).startsWith("HTTP/1.1 403");
        assertThat(http("GET / HTTP/1.1\r\nHost: 127.0.0.2\r\n\r\n")).startsWith("HTTP/1.1 403");
        assertThat(http("GET / HTTP/1.1\r\nHost: inside.test\r\n\r\n")).startsWith("HTTP/1.1 403").contains("blocked");
        assertThat(http("GET / HTTP/1.1\r\nHost: allowed.test:8080\r\n\r\n")).startsWith("HTTP/1.1 403");
        // a name with one blocked and one open address goes to the open one
        assertThat(http("GET / HTTP/1.1\r\nHost: mixed.test\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200");
        assertThat(serverSaw).hasSize(1);
        assertThat(log.after(VM, 0, 10)).extracting(d -> d.name() + " " + d.decision() + " " + d.reason()).containsExactly(
                "evil.test denied not on the allow list",
                "127.0.0.2 denied an IP address, not a name",
                "inside.test denied resolves only into blocked ranges",
                "allowed.test:8080 denied a Host with another port than 80",
                "mixed.test allowed on the allow list (127.0.0.2)");
    }

    @Test
    void aTlsClientHelloIsCheckedBySniAndReplayedWhole() throws Exception {
        open("{\"egress\":\"allowlist\",\"allow\":[\"allowed.test\"]}");
        byte[] hello = clientHello("allowed.test");
        try (Socket s = guest(settings.tlsPort())) {
            s.getOutputStream().write(hello);
            s.getOutputStream().flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] echoed = new byte[hello.length];
            in.readFully(echoed);
            assertThat(echoed).isEqualTo(hello);
        }
        try (Socket s = guest(settings.tlsPort())) {
            s.getOutputStream().write(clientHello("evil.test"));
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket s = guest(settings.tlsPort())) {
            s.getOutputStream().write(clientHello(null));
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(log.after(VM, 0, 10)).extracting(d -> d.protocol() + " " + d.name() + " " + d.decision())
                .containsExactly("tls allowed.test allowed", "tls evil.test denied", "tls null denied");
    }

    @Test
    @Tag("hostile")
    void aGuestThatNeverSendsItsNameIsCutAtTheDeadline() throws IOException {
        open("{\"egress\":\"allowlist\",\"allow\":[\"allowed.test\"]}");
        long t0 = System.nanoTime();
        try (Socket s = guest(settings.httpPort())) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: allo".getBytes(StandardCharsets.US_ASCII));
            s.setSoTimeout(10_000);
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 400");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(8));
        assertThat(log.after(VM, 0, 10)).extracting(Decision::reason).singleElement().asString().contains("in time");
    }

    @Test
    @Tag("hostile")
    void connectionsBeyondTheCapAreRefused() throws IOException {
        open("{\"egress\":\"allowlist\",\"allow\":[\"allowed.test\"]}");
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Socket s = guest(settings.httpPort());
                s.getOutputStream().write('G'); // never finishes its head
                held.add(s);
            }
            try (Socket extra = guest(settings.httpPort())) {
                extra.setSoTimeout(5000);
                assertThat(extra.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(log.after(VM, 0, 10)).extracting(Decision::reason).contains("too many connections at once");
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void connectionsFromOutsideTheMicroVmsPathAreDropped() throws IOException {
        open("{\"egress\":\"allowlist\",\"allow\":[\"allowed.test\"]}");
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress("127.0.0.9", 0)); // not in 127.0.0.0/29
            s.connect(new InetSocketAddress(HOST, settings.httpPort()), 2000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.setSoTimeout(5000);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(serverSaw).isEmpty();
        assertThat(log.after(VM, 0, 10)).isEmpty();
    }

    @Test
    void closingAMicroVmsEgressStopsItsListenersAndForgettingDropsItsDecisions() throws IOException {
        open("{\"egress\":\"allowlist\",\"allow\":[\"allowed.test\"]}");
        udpQuery(DnsWire.aQuery(41, "allowed.test"));
        egress.close(VM);
        assertThat(egress.serving(VM)).isFalse();
        // the port is free once close returns (a resume binds it again at once): binding it proves the
        // listener let go, where a connect could meet another socket or connect to itself
        assertThat(bindable(settings.httpPort())).isTrue();
        assertThat(log.after(VM, 0, 10)).hasSize(1);
        open("{\"egress\":\"allowlist\",\"allow\":[\"allowed.test\"]}"); // a resume opens them again on the same ports
        assertThat(DnsWire.rcode(udpQuery(DnsWire.aQuery(42, "allowed.test")))).isZero();
        egress.forget(VM);
        assertThat(log.after(VM, 0, 10)).isEmpty();
    }

    @Test
    void egressNoneOpensNothingAndAMissingPathIsAnError() {
        egress.open(VM, "{\"egress\":\"none\"}");
        assertThat(egress.serving(VM)).isFalse();
        Egress pathless = new Egress(settings, log, id -> Optional.empty());
        assertThatThrownBy(() -> pathless.open(VM, "{\"egress\":\"internet\"}")).isInstanceOf(EgressException.class)
                .hasMessageContaining("no network path");
        assertThat(egress.spec("{\"egress\":\"allowlist\",\"allow\":[\"a.com\"]}").tlsPort()).isEqualTo(settings.tlsPort());
    }

    // ---- helpers --------------------------------------------------------------------------------

    private void serve(ServerSocket server, boolean http) {
        while (!server.isClosed()) {
            try {
                Socket c = server.accept();
                Thread.ofVirtual().start(() -> {
                    try (c) {
                        if (http) {
                            String head = readHead(c.getInputStream());
                            serverSaw.add(head.lines().findFirst().orElse(""));
                            String host = head.lines().filter(l -> l.toLowerCase().startsWith("host:")).findFirst().orElse("").substring(5).strip();
                            byte[] body = ("hello from " + host).getBytes(StandardCharsets.US_ASCII);
                            c.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                                    .getBytes(StandardCharsets.US_ASCII));
                            c.getOutputStream().write(body);
                        } else {
                            c.getInputStream().transferTo(c.getOutputStream()); // echoes what the client sends
                        }
                    } catch (IOException e) {
                        // the test's client went away
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (!b.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    private static boolean bindable(int port) {
        try (ServerSocket again = new ServerSocket(port, 1, HOST)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Socket guest(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(HOST, port), 2000);
        s.setSoTimeout(10_000);
        return s;
    }

    private String http(String request) throws IOException {
        try (Socket s = guest(settings.httpPort())) {
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private byte[] udpQuery(byte[] q) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(HOST, 0))) {
            s.setSoTimeout(2000);
            s.send(new DatagramPacket(q, q.length, HOST, settings.dnsPort()));
            byte[] buf = new byte[4096];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            byte[] a = new byte[p.getLength()];
            System.arraycopy(buf, 0, a, 0, a.length);
            return a;
        }
    }

    private byte[] tcpQuery(byte[] q) throws IOException {
        try (Socket s = guest(settings.dnsPort())) {
            s.getOutputStream().write(new byte[] {(byte) (q.length >> 8), (byte) q.length});
            s.getOutputStream().write(q);
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] a = new byte[in.readUnsignedShort()];
            in.readFully(a);
            return a;
        }
    }

    private static List<String> addresses(byte[] answer) {
        try {
            return DnsWire.aRecords(answer, answer.length).stream().map(InetAddress::getHostAddress).toList();
        } catch (DnsWire.FormatException e) {
            throw new AssertionError(e);
        }
    }

    /** Free tcp+udp ports on 127.0.0.1 (a port the kernel just handed out and took back). */
    private static int[] freePorts(int n) throws IOException {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            while (true) {
                try (ServerSocket s = new ServerSocket(0, 1, HOST); DatagramSocket d = new DatagramSocket(s.getLocalPort(), HOST)) {
                    out[i] = s.getLocalPort();
                    break;
                } catch (IOException taken) {
                    // udp side in use: try another
                }
            }
        }
        return out;
    }

    private static byte[] clientHello(String name) {
        return ClientHellos.records(ClientHellos.handshake(name), 16384);
    }

    private static InetAddress address(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
