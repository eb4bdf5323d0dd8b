package dev.burrow.daemon.ingress;

import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.microvms.lifecycle.Lifecycle;
import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.TcpStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/** The real {@link Guests}: ports from the microVM's image version, streams through its agent, holds through {@link Lifecycle#use}. */
public final class MicroVmGuests implements Guests {

    private final MicroVmService microvms;
    private final Lifecycle lifecycle;

    public MicroVmGuests(MicroVmService microvms, Lifecycle lifecycle) {
        this.microvms = microvms;
        this.lifecycle = lifecycle;
    }

    @Override
    public Ports ports(String tenantId, String microVmId) {
        MicroVmService.IngressPorts p = microvms.ingressPorts(microvms.get(tenantId, microVmId));
        return new Ports(p.defaultPort(), p.hooksPort());
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
