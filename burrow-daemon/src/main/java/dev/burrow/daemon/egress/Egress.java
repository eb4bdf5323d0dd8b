package dev.burrow.daemon.egress;

import dev.burrow.daemon.egress.internal.AddressRanges;
import dev.burrow.daemon.egress.internal.AllowlistProxy;
import dev.burrow.daemon.egress.internal.DnsListener;
import dev.burrow.daemon.egress.internal.DnsUpstream;
import dev.burrow.daemon.egress.internal.Listeners;
import dev.burrow.daemon.egress.internal.TokenBucket;
import dev.burrow.daemon.microvms.lifecycle.Networking;
import dev.burrow.vmm.net.NetworkSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's egress: for each microVM with a network, a DNS listener (and for allowlist the
 * proxy) on its path's host address, opened after every restore and closed when the guest
 * stops; the decisions they make go to the {@link DecisionLog}.
 */
public final class Egress implements Networking, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Egress.class);

    private final EgressSettings settings;
    private final DecisionLog decisions;
    private final Function<String, Optional<String>> hostAddressOf;
    private final DnsUpstream upstream;
    private final AddressRanges blocked;
    private final Map<String, Listeners> open = new ConcurrentHashMap<>();
    /** Where allowed names' servers are reached (80 and 443; tests move them). */
    private final int httpServerPort;
    private final int tlsServerPort;

    /** {@code hostAddressOf}: the host address of a microVM's network path, as the engine made it (empty: it has none). */
    public Egress(EgressSettings settings, DecisionLog decisions, Function<String, Optional<String>> hostAddressOf) {
        this(settings, decisions, hostAddressOf, AllowlistProxy.HTTP, AllowlistProxy.TLS);
    }

    Egress(EgressSettings settings, DecisionLog decisions, Function<String, Optional<String>> hostAddressOf,
           int httpServerPort, int tlsServerPort) {
        this.settings = settings;
        this.decisions = decisions;
        this.hostAddressOf = hostAddressOf;
        this.upstream = new DnsUpstream(settings.upstreams(), settings.upstreamTimeout());
        this.blocked = AddressRanges.parse(settings.blockedRanges());
        this.httpServerPort = httpServerPort;
        this.tlsServerPort = tlsServerPort;
        if (settings.upstreams().isEmpty()) {
            LOG.warn("no upstream resolver (BURROW_EGRESS_DNS_UPSTREAMS, or nameservers in /etc/resolv.conf): "
                    + "guests with a network get SERVFAIL for every name");
        }
    }

    public DecisionLog decisions() {
        return decisions;
    }

    @Override
    public NetworkSpec spec(String network) {
        EgressPolicy p = EgressPolicy.fromJson(network);
        return switch (p.mode()) {
            case NONE -> NetworkSpec.NONE;
            case INTERNET -> new NetworkSpec(NetworkSpec.Mode.INTERNET, settings.dnsPort(), settings.httpPort(), settings.tlsPort(),
                    settings.blockedRanges());
            case ALLOWLIST -> new NetworkSpec(NetworkSpec.Mode.ALLOWLIST, settings.dnsPort(), settings.httpPort(), settings.tlsPort(),
                    settings.blockedRanges());
        };
    }

    @Override
    public void open(String vmId, String network) {
        EgressPolicy p = EgressPolicy.fromJson(network);
        close(vmId);
        if (p.mode() == EgressPolicy.Mode.NONE) {
            return;
        }
        String host = hostAddressOf.apply(vmId).orElseThrow(() -> new EgressException(
                vmId + " runs with egress " + p.mode().wire() + " but the engine made it no network path", null));
        Listeners l;
        try {
            l = new Listeners(vmId, InetAddress.getByName(host));
        } catch (IOException e) {
            throw new EgressException("the host address of " + vmId + "'s path is not an address: " + host, e);
        }
        open.put(vmId, l);
        Semaphore connections = new Semaphore(settings.maxConnections());
        try {
            new DnsListener(l, p, upstream, (proto, name, port, ok, why) -> decisions.record(vmId, proto, name, port, ok, why),
                    new TokenBucket(settings.dnsPerSecond(), settings.dnsBurst(), System::nanoTime), settings.dnsInFlight(), connections)
                    .start(settings.dnsPort());
            if (p.mode() == EgressPolicy.Mode.ALLOWLIST) {
                new AllowlistProxy(l, p, upstream, blocked, (proto, name, port, ok, why) -> decisions.record(vmId, proto, name, port, ok, why),
                        new AllowlistProxy.Limits(settings.maxPrefixBytes(), settings.prefixTimeout(), settings.connectTimeout(),
                                settings.idleTimeout(), settings.bufferBytes()), connections, httpServerPort, tlsServerPort)
                        .start(settings.httpPort(), settings.tlsPort());
            }
        } catch (IOException e) {
            close(vmId);
            throw new EgressException("the egress services of " + vmId + " could not listen on " + host + ": " + e.getMessage(), e);
        }
        LOG.debug("{}: egress {} served on {}", vmId, p.mode().wire(), host);
    }

    @Override
    public void close(String vmId) {
        Listeners l = open.remove(vmId);
        if (l != null) {
            l.close();
        }
    }

    @Override
    public void forget(String vmId) {
        close(vmId);
        decisions.forget(vmId);
    }

    /** Whether {@code vmId}'s services are open (tests, and the lead's checks). */
    public boolean serving(String vmId) {
        return open.containsKey(vmId);
    }

    @Override
    public void close() {
        open.keySet().forEach(this::close);
    }
}
