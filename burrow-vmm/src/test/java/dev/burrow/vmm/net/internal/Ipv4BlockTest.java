package dev.burrow.vmm.net.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class Ipv4BlockTest {

    @Test
    void aSixteenBitRangeHoldsOneEightAddressBlockPerMicroVm() {
        Ipv4Block b = Ipv4Block.parse("10.250.0.0/16");
        assertThat(b.slots()).isEqualTo(8192);
        assertThat(b.address(0, 1)).isEqualTo("10.250.0.1");
        assertThat(b.address(1, 6)).isEqualTo("10.250.0.14");
        assertThat(b.address(8191, 6)).isEqualTo("10.250.255.254");
    }

    @Test
    void aTwentyNineBitRangeIsExactlyOneBlock() {
        Ipv4Block b = Ipv4Block.parse("192.168.7.8/29");
        assertThat(b.slots()).isEqualTo(1);
        assertThat(b.address(0, 5)).isEqualTo("192.168.7.13");
        assertThatThrownBy(() -> b.address(1, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside");
    }

    @Test
    void aRangeWithHostBitsOrATooLongPrefixOrBadOctetsIsRefusedNamingIt() {
        assertThatThrownBy(() -> Ipv4Block.parse("10.250.0.1/16")).hasMessageContaining("host bits");
        assertThatThrownBy(() -> Ipv4Block.parse("10.250.0.0/30")).hasMessageContaining("prefix must be 8..29");
        assertThatThrownBy(() -> Ipv4Block.parse("10.256.0.0/16")).hasMessageContaining("10.256.0.0/16");
        assertThatThrownBy(() -> Ipv4Block.parse("fd00::/64")).hasMessageContaining("not an IPv4 range");
    }
}
