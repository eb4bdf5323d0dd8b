package dev.burrow.daemon.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EgressSettingsTest {

    @TempDir
    Path dir;

    @Test
    void theHostsResolversAreTheDefaultUpstreams() throws Exception {
        Path conf = Files.writeString(dir.resolve("resolv.conf"), """
                # systemd-resolved
                nameserver 127.0.0.53
                nameserver 10.0.0.2 
                nameserver fe80::1
                search example.org
                """);
        assertThat(EgressSettings.resolvConf(conf)).containsExactly(new InetSocketAddress("127.0.0.53", 53),
                new InetSocketAddress("10.0.0.2", 53));
        assertThat(EgressSettings.resolvConf(dir.resolve("missing"))).isEmpty();
    }

    @Test
    void theEnvironmentSetsUpstreamsBlockedRangesAndPorts() {
        EgressSettings s = EgressSettings.fromEnvironment(Map.of("BURROW_EGRESS_DNS_UPSTREAMS", "192.0.2.53, 192.0.2.54:5353",
                "BURROW_EGRESS_BLOCKED_RANGES", "10.0.0.0/8, 192.0.2.0/24", "BURROW_EGRESS_PORTS", "20053,20080,20443"));
        assertThat(s.upstreams()).containsExactly(new InetSocketAddress("192.0.2.53", 53), new InetSocketAddress("192.0.2.54", 5353));
        assertThat(s.blockedRanges()).containsExactly("10.0.0.0/8", "192.0.2.0/24");
        assertThat(List.of(s.dnsPort(), s.httpPort(), s.tlsPort())).containsExactly(20053, 20080, 20443);
        assertThat(EgressSettings.DEFAULTS.blockedRanges()).contains("10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16");
    }

    @Test
    void badSettingsAreRefusedNamingTheVariable() {
        assertThatThrownBy(() -> EgressSettings.fromEnvironment(Map.of("BURROW_EGRESS_PORTS", "53,80")))
                .hasMessageContaining("BURROW_EGRESS_PORTS");
        assertThatThrownBy(() -> EgressSettings.fromEnvironment(Map.of("BURROW_EGRESS_BLOCKED_RANGES", "10.0.0.0/33")))
                .hasMessageContaining("10.0.0.0/33");
        assertThatThrownBy(() -> EgressSettings.fromEnvironment(Map.of("BURROW_EGRESS_DNS_UPSTREAMS", "192.0.2.1:port")))
                .hasMessageContaining("BURROW_EGRESS_DNS_UPSTREAMS");
    }
}
