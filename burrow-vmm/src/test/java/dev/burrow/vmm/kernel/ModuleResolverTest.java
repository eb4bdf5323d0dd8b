package dev.burrow.vmm.kernel;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModuleResolverTest {
    @TempDir
    Path dir;

    @BeforeEach
    void writeFixtures() throws IOException {
        // deps are listed so that the last must load first: fs-a needs lib-b, which needs lib-c
        Files.writeString(dir.resolve("modules.dep"), """
                kernel/fs/fs-a.ko.xz: kernel/lib/lib_b.ko.xz kernel/lib/lib-c.ko.xz
                kernel/lib/lib_b.ko.xz: kernel/lib/lib-c.ko.xz
                kernel/lib/lib-c.ko.xz:
                kernel/crypto/sum_generic.ko.xz:
                kernel/arch/sum-fast.ko.xz:
                kernel/drv/uses_builtin.ko:
                kernel/drv/pre_me.ko:
                kernel/drv/post_me.ko:
                kernel/drv/with_soft.ko: kernel/lib/lib-c.ko.xz
                kernel/cyc/cyc_x.ko: kernel/cyc/cyc_y.ko
                kernel/cyc/cyc_y.ko: kernel/cyc/cyc_x.ko
                kernel/cyc/soft_p.ko:
                kernel/cyc/soft_q.ko:
                """);
        Files.writeString(dir.resolve("modules.softdep"), """
                # Soft dependencies extracted from modules themselves.
                softdep fs_a pre: crypto-sum
                softdep with_soft pre: pre_me builtin_thing missing_thing post: post-me also_missing
                softdep soft_p pre: soft_q
                softdep soft_q pre: soft_p
                """);
        Files.writeString(dir.resolve("modules.builtin"), """
                kernel/lib/builtin_thing.ko
                kernel/lib/crc-t10.ko
                """);
        Files.writeString(dir.resolve("modules.alias"), """
                # Aliases extracted from modules themselves.
                alias crypto-sum sum_generic
                alias crypto-sum sum_fast
                alias pci:v00001AF4d*sv*sd*bc*sc*i* lib_b
                """);
    }

    private List<String> order(String... names) throws KernelException {
        return ModuleResolver.load(dir).loadOrder(List.of(names)).stream().map(ModuleResolver.Module::name).toList();
    }

    @Test
    void dependenciesComeFirstWhateverTheListOrder() throws Exception {
        assertThat(order("fs-a")).containsExactly("sum_generic", "lib_c", "lib_b", "fs_a");
        assertThat(order("lib_b", "fs_a")).containsExactly("lib_c", "lib_b", "sum_generic", "fs_a");
    }

    @Test
    void modulesResolveToTheirFiles() throws Exception {
        List<ModuleResolver.Module> modules = ModuleResolver.load(dir).loadOrder(List.of("lib_c"));
        assertThat(modules).containsExactly(new ModuleResolver.Module("lib_c", dir.resolve("kernel/lib/lib-c.ko.xz")));
    }

    @Test
    void softDependenciesGoBeforeAndAfterAndMissingOnesAreSkipped() throws Exception {
        assertThat(order("with_soft")).containsExactly("pre_me", "lib_c", "with_soft", "post_me");
    }

    @Test
    void anAliasProvidedByManyModulesPrefersTheGenericOne() throws Exception {
        assertThat(order("fs_a")).contains("sum_generic").doesNotContain("sum_fast");
    }

    @Test
    void builtinModulesAreSkipped() throws Exception {
        assertThat(order("crc_t10", "builtin-thing", "lib_c")).containsExactly("lib_c");
        assertThat(ModuleResolver.load(dir).isBuiltin("crc-t10")).isTrue();
    }

    @Test
    void anUnknownModuleIsAnErrorNamingIt() {
        assertThatThrownBy(() -> order("lib_c", "no_such_module"))
                .isInstanceOf(KernelException.class)
                .hasMessageContaining("'no_such_module'");
    }

    @Test
    void cyclesTerminateAndKeepEveryModuleOnce() throws Exception {
        assertThat(order("cyc_x")).containsExactlyInAnyOrder("cyc_x", "cyc_y");
        assertThat(order("soft_p", "soft_q")).containsExactlyInAnyOrder("soft_p", "soft_q");
    }

    @Test
    void aMissingModulesDepIsAnActionableError() throws Exception {
        Files.delete(dir.resolve("modules.dep"));
        assertThatThrownBy(() -> ModuleResolver.load(dir))
                .isInstanceOf(KernelException.class)
                .hasMessageContaining("No modules.dep in " + dir)
                .hasMessageContaining("Delete the kernel cache entry");
    }
}
