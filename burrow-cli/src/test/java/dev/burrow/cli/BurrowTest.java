package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;

/** The verb table: registering one verb per command line must not change what any command line does. */
class BurrowTest {
    @TempDir
    Path home;

    @Test
    void everyVerbIsRegisteredUnderItsOwnCommandName() {
        PicocliCommandLine.VERBS.forEach((name, cls) -> assertThat(cls.getAnnotation(Command.class).name()).as(cls.getName()).isEqualTo(name));
    }

    @Test
    void theTopLevelHelpStillListsEveryVerb() {
        CliHarness.Result r = new CliHarness(home).run("--help");
        assertThat(r.code()).isZero();
        for (String verb : PicocliCommandLine.VERBS.keySet()) assertThat(r.out()).containsPattern("(?m)^\\s+" + verb + "\\s");
    }

    @Test
    void aMistypedVerbIsNamedAndPointsAtTheTopLevelHelp() {
        CliHarness.Result r = new CliHarness(home).run("versoin");
        assertThat(r.code()).isEqualTo(Burrow.EXIT_ERROR);
        assertThat(r.err()).isEqualTo("burrow: Unmatched argument at index 0: 'versoin'\nSee 'burrow --help'.\n");
    }

    @Test
    void aVerbsOwnHelpNamesItUnderBurrow() {
        CliHarness.Result r = new CliHarness(home).run("ps", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: burrow ps");
    }

    @Test
    void execStillTakesEverythingAfterTheIdAsTheCommand() {
        // without a daemon the call fails, but only after parsing: --json after the id belongs to the command
        CliHarness h = new CliHarness(home);
        h.env.put("BURROW_URL", "http://127.0.0.1:1");
        CliHarness.Result r = h.run("exec", "vm01abc", "ls", "--json");
        assertThat(r.err()).doesNotContain("Unknown option").contains("cannot reach burrowd");
    }
}
