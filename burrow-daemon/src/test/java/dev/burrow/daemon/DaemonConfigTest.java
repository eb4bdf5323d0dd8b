package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.microvms.lifecycle.LifecycleSettings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DaemonConfigTest {

    @Test
    void theMemoryTierAndThePressureThresholdComeFromTheEnvironmentWithDefaults() {
        DaemonConfig none = DaemonConfig.fromEnvironment(Map.of());
        assertThat(none.lifecycle().memoryTierSeconds()).isEqualTo(Duration.ofSeconds(120));
        assertThat(none.lifecycle().minAvailableMiB()).isEqualTo(1024);
        DaemonConfig set = DaemonConfig.fromEnvironment(Map.of("BURROW_MEMORY_TIER_SECONDS", "0", "BURROW_MIN_AVAILABLE_MIB", "4096"));
        assertThat(set.lifecycle().memoryTier()).isFalse();
        assertThat(set.lifecycle().minAvailableMiB()).isEqualTo(4096);
    }

    @Test
    void aMemoryTierThatIsNotAWholeNumberIsRefusedByName() {
        assertThatThrownBy(() -> DaemonConfig.fromEnvironment(Map.of("BURROW_MEMORY_TIER_SECONDS", "-1")))
                .hasMessageContaining("BURROW_MEMORY_TIER_SECONDS must be a whole number of 0 or more; got '-1'");
        assertThatThrownBy(() -> DaemonConfig.fromEnvironment(Map.of("BURROW_MIN_AVAILABLE_MIB", "lots")))
                .hasMessageContaining("BURROW_MIN_AVAILABLE_MIB");
    }

    @Test
    void theStandbyBudgetComesFromTheEnvironmentZeroTurnsStandbysOff() {
        assertThat(DaemonConfig.fromEnvironment(Map.of()).lifecycle().standbyMemoryMiB())
                .isEqualTo(LifecycleSettings.DEFAULT_STANDBY_MEMORY_MIB);
        assertThat(DaemonConfig.fromEnvironment(Map.of("BURROW_STANDBY_MEMORY_MIB", "0")).lifecycle().standbyMemoryMiB()).isZero();
        assertThat(DaemonConfig.fromEnvironment(Map.of("BURROW_STANDBY_MEMORY_MIB", "4096")).lifecycle().standbyMemoryMiB()).isEqualTo(4096);
        assertThatThrownBy(() -> DaemonConfig.fromEnvironment(Map.of("BURROW_STANDBY_MEMORY_MIB", "-1")))
                .hasMessageContaining("BURROW_STANDBY_MEMORY_MIB");
    }

    @Test
    void insecureRegistriesAreHostsFromTheEnvironmentAndNoneByDefault() {
        assertThat(DaemonConfig.fromEnvironment(Map.of()).insecureRegistries()).isEmpty();
        assertThat(DaemonConfig.fromEnvironment(Map.of("BURROW_INSECURE_REGISTRIES", " Registry.LAN:5000, 10.0.0.5 ,")).insecureRegistries())
                .containsExactlyInAnyOrder("registry.lan:5000", "10.0.0.5");
        assertThatThrownBy(() -> DaemonConfig.fromEnvironment(Map.of("BURROW_INSECURE_REGISTRIES", "http://registry.lan")))
                .hasMessageContaining("BURROW_INSECURE_REGISTRIES: 'http://registry.lan'").hasMessageContaining("without a scheme");
    }

    @Test
    void theS3EndpointComesFromTheEnvironmentAndIsUnsetByDefault() {
        assertThat(DaemonConfig.fromEnvironment(Map.of()).s3().configured()).isFalse();
        DaemonConfig set = DaemonConfig.fromEnvironment(Map.of("BURROW_S3_ENDPOINT", "https://s3.eu-west-1.amazonaws.com",
                "BURROW_S3_REGION", "eu-west-1", "BURROW_S3_ACCESS_KEY_ID", "AKIAEXAMPLE", "BURROW_S3_SECRET_ACCESS_KEY", "secret"));
        assertThat(set.s3().endpoint()).hasToString("https://s3.eu-west-1.amazonaws.com");
        assertThat(set.s3().region()).isEqualTo("eu-west-1");
        assertThat(set.withLifecycle(set.lifecycle()).s3()).isEqualTo(set.s3());
        assertThatThrownBy(() -> DaemonConfig.fromEnvironment(Map.of("BURROW_S3_ENDPOINT", "s3.amazonaws.com")))
                .hasMessageContaining("BURROW_S3_ENDPOINT");
    }
}
