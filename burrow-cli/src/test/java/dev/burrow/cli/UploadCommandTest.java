package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code burrow upload FILE}: the file streamed to POST /v1/uploads, its burrow://uploads/ URI printed. */
class UploadCommandTest {
    private static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path tmp;

    FakeBurrowd fake;
    CliHarness cli;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeBurrowd();
        cli = new CliHarness(tmp).against(fake);
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private Path zip(int size) throws Exception {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) data[i] = (byte) (i * 7 + 3);
        return Files.write(tmp.resolve("app.zip"), data);
    }

    @Test
    void uploadStreamsTheFileAndPrintsItsUriOnly() throws Exception {
        Path file = zip(200_000);

        var r = cli.run("upload", file.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(fake.uploads).hasSize(1);
        String id = fake.uploads.keySet().iterator().next();
        assertThat(fake.uploads.get(id)).isEqualTo(Files.readAllBytes(file));
        assertThat(r.out()).isEqualTo("burrow://uploads/" + id + "\n");
    }

    @Test
    void jsonPrintsTheUploadObjectWithItsUri() throws Exception {
        Path file = zip(1234);

        var r = cli.run("upload", "--json", file.toString());

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode out = M.readTree(r.out());
        String id = out.get("uploadId").asText();
        assertThat(fake.uploads).containsKey(id);
        assertThat(out.get("uri").asText()).isEqualTo("burrow://uploads/" + id);
        assertThat(out.get("bytes").asLong()).isEqualTo(1234);
        assertThat(out.get("sha256").asText()).hasSize(64);
    }

    @Test
    void aDirectoryOrAMissingFileIsRefusedBeforeAnythingIsSent() throws Exception {
        var dir = cli.run("upload", Files.createDirectory(tmp.resolve("ctx")).toString());
        var missing = cli.run("upload", tmp.resolve("nope.zip").toString());

        assertThat(dir.code()).isEqualTo(Burrow.EXIT_ERROR);
        assertThat(dir.err()).contains("is a directory").contains("zip");
        assertThat(missing.code()).isEqualTo(Burrow.EXIT_ERROR);
        assertThat(missing.err()).contains("no such file");
        assertThat(fake.requests("POST", "/v1/uploads")).isEmpty();
    }
}
