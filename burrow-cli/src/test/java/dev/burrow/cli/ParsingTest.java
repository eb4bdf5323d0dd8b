package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.cli.internal.EgressSpec;
import dev.burrow.cli.internal.QuotaSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The syntax the CLI checks itself: {@code --quota} lists and {@code --egress} modes. */
class ParsingTest {
    private static final ObjectMapper M = new ObjectMapper();

    @Test
    void quotaSizesAreMiBAndCountsStayCounts() {
        assertThat(QuotaSpec.parse(List.of("memory=8G,suspended=512M,uploads=4G", "microvms=0,vcpus=16,builds=2")).toString())
                .isEqualTo("{\"memoryMiB\":8192,\"suspendedMiB\":512,\"uploadsMiB\":4096,\"microvms\":0,\"vcpus\":16,\"builds\":2}");
        assertThat(QuotaSpec.parse(List.of("memoryMiB=1024")).toString()).isEqualTo("{\"memoryMiB\":1024}");
        assertThat(QuotaSpec.parse(List.of("memory=unlimited")).toString()).isEqualTo("{\"memoryMiB\":null}");
    }

    @Test
    void aBadQuotaNamesTheQuotaAndWhatIsAccepted() {
        assertThatThrownBy(() -> QuotaSpec.parse(List.of("disk=2G"))).hasMessageContaining("unknown quota 'disk'")
                .hasMessageContaining("microvms, vcpus, memory, suspended, uploads, builds");
        assertThatThrownBy(() -> QuotaSpec.parse(List.of("vcpus=2.5"))).hasMessageContaining("vcpus: expected a whole number");
        assertThatThrownBy(() -> QuotaSpec.parse(List.of("memory=2T"))).hasMessageContaining("memory: invalid size '2T'");
        assertThatThrownBy(() -> QuotaSpec.parse(List.of("builds=1", "builds=2"))).hasMessageContaining("builds is given twice");
        assertThatThrownBy(() -> QuotaSpec.parse(List.of("vcpus"))).hasMessageContaining("expected NAME=VALUE");
    }

    @Test
    void aTableCellIsUsedOverLimitInTheClisUnits() throws Exception {
        var tenant = M.readTree("{\"quotas\":{\"memoryMiB\":8192,\"vcpus\":null},\"usage\":{\"memoryMiB\":768,\"vcpus\":3}}");
        assertThat(QuotaSpec.cell(tenant, QuotaSpec.Quota.MEMORY)).isEqualTo("768M/8G");
        assertThat(QuotaSpec.cell(tenant, QuotaSpec.Quota.VCPUS)).isEqualTo("3/∞");
        assertThat(QuotaSpec.cell(tenant, QuotaSpec.Quota.BUILDS)).isEqualTo("-/∞");
    }

    @Test
    void egressModesBecomeTheNetworkObject() {
        assertThat(EgressSpec.parse("none").toString()).isEqualTo("{\"egress\":\"none\"}");
        assertThat(EgressSpec.parse("internet").toString()).isEqualTo("{\"egress\":\"internet\"}");
        assertThat(EgressSpec.parse("allowlist:pypi.org,*.pythonhosted.org").toString())
                .isEqualTo("{\"egress\":\"allowlist\",\"allow\":[\"pypi.org\",\"*.pythonhosted.org\"]}");
    }

    @Test
    void egressSyntaxErrorsSayWhatIsExpectedButNamesAreLeftToTheServer() {
        assertThatThrownBy(() -> EgressSpec.parse("open")).hasMessageContaining("--egress: expected none, internet or allowlist:");
        assertThatThrownBy(() -> EgressSpec.parse("allowlist")).hasMessageContaining("needs at least one name");
        assertThatThrownBy(() -> EgressSpec.parse("allowlist:")).hasMessageContaining("needs at least one name");
        assertThatThrownBy(() -> EgressSpec.parse("allowlist:a.com,,b.org")).hasMessageContaining("an empty name");
        assertThatThrownBy(() -> EgressSpec.parse("allowlist:a.com, b.org")).hasMessageContaining("holds a space");
        // whether a name is acceptable (here: a port) is burrowd's call
        assertThat(EgressSpec.parse("allowlist:a.com:8443").path("allow").get(0).asText()).isEqualTo("a.com:8443");
    }
}
