package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code burrow system df|prune} against the fake burrowd: admin key, a table or burrowd's JSON, what was freed. */
class SystemCommandsTest {
    private static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path tmp;

    FakeBurrowd fake;
    CliHarness cli;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeBurrowd();
        cli = new CliHarness(tmp).against(fake);
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.createFile(data.resolve("admin.key"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(data.resolve("admin.key"), FakeBurrowd.ADMIN_KEY + "\n");
        cli.env.put("BURROW_DATA_DIR", data.toString());
    }

    @AfterEach
    void stop() {
        fake.close();
        assertThat(fake.contractViolations).isEmpty();
    }

    @Test
    void dfPrintsATableOfCategoriesWithSizesAndWhatIsReclaimable() {
        var r = cli.run("system", "df");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("""
                CATEGORY    COUNT   SIZE        RECLAIMABLE
                blobs       3       1.0 MiB     512.0 KiB (50%)
                templates   2       256.0 MiB   0 B (0%)
                uploads     1       3.0 MiB     3.0 MiB (100%)
                total               260.0 MiB   3.5 MiB (1%)
                """);
    }

    @Test
    void dfAndPruneWithJsonPrintBurrowdsAnswer() throws Exception {
        assertThat(M.readTree(cli.run("system", "df", "--json").out())).isEqualTo(M.readTree(FakeSystem.DF));
        assertThat(M.readTree(cli.run("system", "prune", "--json").out())).isEqualTo(M.readTree(FakeSystem.PRUNE));
    }

    @Test
    void prunePrintsWhatItFreedWhatItLeftForLaterAndTheTotal() {
        var r = cli.run("system", "prune");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("""
                freed blobs: 1 entry, 512.0 KiB
                freed uploads: 1 entry, 3.0 MiB
                build cache entries dropped: 4
                deferred: blobs: 1 build(s) were resolving their image; prune again once they have
                Total reclaimed space: 3.5 MiB
                """);
        assertThat(fake.requests("POST", "/v1/system/prune")).hasSize(1);
    }

    @Test
    void bothNeedTheAdminKeyAndSaySoWhenGivenAnotherKey() {
        cli.env.put("BURROW_ADMIN_KEY", FakeBurrowd.KEY); // the dev tenant's key where the admin key belongs
        for (String verb : new String[] {"df", "prune"}) {
            var r = cli.run("system", verb);
            assertThat(r.code()).as(verb).isEqualTo(125);
            assertThat(r.err()).contains("needs an admin key").contains("BURROW_ADMIN_KEY");
        }
    }
}
