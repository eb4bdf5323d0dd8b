package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.images.builtin.ManagedBase;
import dev.burrow.daemon.images.builtin.ManagedBases;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManagedBasesSettingTest {

    @Test
    void theEnvironmentPublishesEveryBaseUnlessItNamesSomeOrNone() {
        assertThat(DaemonConfig.fromEnvironment(Map.of()).managedBases()).extracting(ManagedBase::name)
                .containsExactly("minimal", "python", "node");
        assertThat(DaemonConfig.fromEnvironment(Map.of(ManagedBases.SETTING, "python")).managedBases())
                .extracting(ManagedBase::name).containsExactly("python");
        assertThat(DaemonConfig.fromEnvironment(Map.of(ManagedBases.SETTING, "none")).managedBases()).isEmpty();
    }

    @Test
    void anUnknownBaseStopsTheDaemonFromStartingWithTheSettingsName() {
        assertThatThrownBy(() -> DaemonConfig.fromEnvironment(Map.of(ManagedBases.SETTING, "pyhton")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("BURROW_MANAGED_BASES: unknown managed base 'pyhton'");
    }

    @Test
    void aConfigMadeInCodePublishesNoBaseUntilAskedAndKeepsThemThroughOtherChanges() {
        DaemonConfig c = new DaemonConfig(Path.of("/tmp/d"), Path.of("/tmp/c"), "127.0.0.1", 0, true, 1, 28800, 1);
        assertThat(c.managedBases()).isEmpty();
        DaemonConfig minimal = c.withManagedBases(ManagedBases.select("minimal"));
        assertThat(minimal.withLifecycle(c.lifecycle()).withApiLimits(c.apiLimits()).withEgress(c.egress()).managedBases())
                .extracting(ManagedBase::name).containsExactly("minimal");
    }
}
