package dev.burrow.vmm.net.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("security")
class NetHostTest {

    @Test
    void aNamespaceForwardsOnlyAfterItsRulesetLoaded() {
        Map<String, String> sysctls = new LinkedHashMap<>();
        sysctls.put("net.ipv4.ip_forward", "1");
        sysctls.put("net.ipv6.conf.all.disable_ipv6", "1");

        assertThat(NetHost.SystemNetHost.netnsScript("/usr/sbin/nft", sysctls)).isEqualTo(
                "/usr/sbin/nft -f - && echo 1 > /proc/sys/net/ipv4/ip_forward && echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6");
    }

    @Test
    void aSysctlThatIsNotANetworkOneOrAValueThatIsNotANumberNeverReachesTheShell() {
        assertThatThrownBy(() -> NetHost.SystemNetHost.netnsScript("nft", Map.of("kernel.core_pattern", "1")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NetHost.SystemNetHost.netnsScript("nft", Map.of("net.ipv4.ip_forward", "1; reboot")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
