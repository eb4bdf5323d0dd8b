package dev.burrow.daemon.ingress;

import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.microvms.lifecycle.Lifecycle;
import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.TcpStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The real {@link Guests}: ports from the microVM's image version, streams through its agent, holds through {@link Lifecycle#use}. */
public final class MicroVmGuests implements Guests {

    /** A microVM's ports never change (its image version is fixed), so they are looked up once; past this many entries the cache starts over. */
    static final int MAX_CACHED_PORTS = 4096;

    private final MicroVmService microvms;
    private final Lifecycle lifecycle;
    /** tenant + "/" + microVM id → its ports: saves the record and image-version reads on every proxied request. */
    private final Map<String, Ports> ports = new ConcurrentHashMap<>();

    public MicroVmGuests(MicroVmService microvms, Lifecycle lifecycle) {
        this.microvms = microvms;
        this.lifecycle = lifecycle;
    }

    @Override
    public Ports ports(String tenantId, String microVmId) {
        String key = tenantId + "/" + microVmId;
        Ports known = ports.get(key);
        if (known != null) {
            return known; // whether the microVM may still be visited is for visit() (Lifecycle.use) to say
        }
        MicroVmService.IngressPorts p = microvms.ingressPorts(microvms.get(tenantId, microVmId));
        Ports found = new Ports(p.defaultPort(), p.hooksPort());
        if (ports.size() >= MAX_CACHED_PORTS) {
            ports.clear();
        }
        ports.put(key, found);
        return found;
    }

    @Override
    public Visit visit(String tenantId, String microVmId, String requestId) {
        Lifecycle.Use use = lifecycle.use(tenantId, microVmId, requestId);
        AgentConnection agent = use.vm().agent();
        return new Visit() {
            @Override
            public Object channel() {
                return agent;
            }

            @Override
            public GuestLink dial(int port, Duration timeout) throws IOException {
                return link(agent.connect(port, timeout));
            }

            @Override
            public void close() {
                use.close();
            }
        };
    }

    /** An agent TCP stream as a {@link GuestLink} (the benchmark reaches a bare engine microVM this way too). */
    public static GuestLink link(TcpStream stream) {
        return new StreamLink(stream);
    }

    /** An agent TCP stream as a {@link GuestLink}. */
    private record StreamLink(TcpStream stream, InputStream input, OutputStream output) implements GuestLink {

        StreamLink(TcpStream stream) {
            this(stream, stream.input(), stream.output());
        }

        @Override
        public void shutdownOutput() {
            try {
                output.close();
            } catch (IOException ignored) {
                // the stream is ending anyway
            }
        }

        @Override
        public void close() {
            stream.close();
        }
    }
}
