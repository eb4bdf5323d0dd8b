package dev.burrow.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.agent.ExecRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The standby's warm-up request against the agent's C source, without a guest (StandbyEngineTest runs it for real). */
class StandbyWarmUpTest {

    private static final Path BUILTINS_H = Path.of("..", "guest", "agent", "builtins.h");

    private static String cDefine(String name) throws Exception {
        Matcher m = Pattern.compile("#define\\s+" + name + "\\s+\"([^\"]+)\"").matcher(Files.readString(BUILTINS_H));
        assertThat(m.find()).as(name + " in " + BUILTINS_H).isTrue();
        return m.group(1);
    }

    @Test
    void theWarmUpBuiltinHasTheSameNameOnTheHostAndInTheAgent() throws Exception {
        assertThat(QemuHypervisor.WARM_UP_BUILTIN).isEqualTo(cDefine("BUILTIN_WARM_UP"));
    }

    @Test
    void theWarmUpRunsTheBuiltinAsRootFromTheRootDirectoryWithNothingOfTheImage() {
        ExecRequest r = QemuHypervisor.STANDBY_WARM_UP;
        assertThat(r.builtin()).isTrue();
        assertThat(r.argv()).containsExactly(QemuHypervisor.WARM_UP_BUILTIN);
        assertThat(r.user()).isEqualTo("0:0");
        assertThat(r.cwd()).isEqualTo("/");
        assertThat(r.env()).isEmpty();
        assertThat(r.stdinOpen()).isFalse();
    }

    @Test
    void onlyAnAgentThatHasTheBuiltinIsWarmedUp() {
        assertThat(QemuHypervisor.warmsUp("0.7.0")).isTrue();
        assertThat(QemuHypervisor.warmsUp("1.0.0-dev")).isTrue();
        assertThat(QemuHypervisor.warmsUp("0.6.9")).isFalse();
        assertThat(QemuHypervisor.warmsUp(null)).isFalse();
        assertThat(QemuHypervisor.warmsUp("warm")).isFalse();
    }

    @Test
    void theAgentBuiltWithThisEngineHasTheBuiltin() throws Exception {
        Matcher m = Pattern.compile("#define\\s+AGENT_VERSION\\s+\"([^\"]+)\"")
                .matcher(Files.readString(BUILTINS_H.resolveSibling("agent.h")));
        assertThat(m.find()).isTrue();
        assertThat(QemuHypervisor.warmsUp(m.group(1))).as(m.group(1)).isTrue();
    }
}
