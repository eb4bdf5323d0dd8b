package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.daemon.store.Uploads;
import dev.burrow.oci.dockerfile.ContextLimits;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** codeArtifact.uri: the schemes, who may use which, and the zip checked before any build starts. */
class AwsCodeArtifactsTest {

    @TempDir
    Path dir;
    Database db;
    Uploads uploads;
    String alice;
    String bob;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        Tenants tenants = new Tenants(db);
        alice = tenants.create("alice", null).orElseThrow().id();
        bob = tenants.create("bob", null).orElseThrow().id();
        uploads = new Uploads(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private AwsCodeArtifacts artifacts(AwsCodeArtifacts.S3Download s3) {
        return new AwsCodeArtifacts(uploads, dir.resolve("uploads"), s3, 1 << 20, Duration.ofHours(1), ContextLimits.DEFAULT);
    }

    private Path zip(String name, String... entries) throws IOException {
        Path z = dir.resolve(name);
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(z))) {
            for (String e : entries) {
                out.putNextEntry(new ZipEntry(e));
                out.write(("content of " + e + "\n").getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        return z;
    }

    private String upload(String tenant, Path file) {
        String id = "up" + Long.toHexString(System.nanoTime());
        uploads.record(id, tenant, file.toString(), 1, "", Instant.now().plusSeconds(3600));
        return id;
    }

    @Test
    void theCallersOwnUploadIsTheArtifact() throws Exception {
        Path z = zip("app.zip", "Dockerfile", "app/server.sh");
        String id = upload(alice, z);

        AwsCodeArtifacts.Artifact a = artifacts(null).resolve(alice, false, "burrow://uploads/" + id);

        assertThat(a.zip()).isEqualTo(z);
        assertThat(a.uploadId()).isEqualTo(id);
    }

    @Test
    void anotherAccountsUploadIsNotFoundAsIfItDidNotExist() throws Exception {
        String id = upload(alice, zip("app.zip", "Dockerfile"));

        assertThatThrownBy(() -> artifacts(null).resolve(bob, false, "burrow://uploads/" + id))
                .isInstanceOfSatisfying(AwsError.class, e -> assertThat(e.code()).isEqualTo("ValidationException"))
                .hasMessage("codeArtifact.uri: no upload " + id + " (expired, or from another account)");
    }

    @Test
    void aFileUriNeedsAnAdminKey() throws Exception {
        Path z = zip("app.zip", "Dockerfile");

        assertThatThrownBy(() -> artifacts(null).resolve(alice, false, z.toUri().toString()))
                .isInstanceOfSatisfying(AwsError.class, e -> assertThat(e.code()).isEqualTo("AccessDeniedException"));
        assertThat(artifacts(null).resolve(alice, true, z.toUri().toString()).zip()).isEqualTo(z);
    }

    @Test
    void anS3UriWithoutAnEndpointNamesTheSetting() {
        assertThatThrownBy(() -> artifacts(null).resolve(alice, false, "s3://bucket/app.zip"))
                .hasMessageContaining("no S3-compatible endpoint is configured (BURROW_S3_ENDPOINT)");
    }

    @Test
    void anS3ObjectIsFetchedIntoAnUploadOfTheCallers() throws Exception {
        Path source = zip("s3.zip", "Dockerfile");
        String[] asked = new String[2];
        AwsCodeArtifacts.S3Download s3 = (bucket, key, target, max) -> {
            asked[0] = bucket;
            asked[1] = key;
            Files.copy(source, target);
            return Files.size(target);
        };

        AwsCodeArtifacts.Artifact a = artifacts(s3).resolve(alice, false, "s3://my-bucket/builds/app.zip");

        assertThat(asked).containsExactly("my-bucket", "builds/app.zip");
        assertThat(uploads.get(alice, a.uploadId())).isPresent();
        assertThat(Files.readAllBytes(a.zip())).isEqualTo(Files.readAllBytes(source));
    }

    @Test
    void anotherSchemeIsRefusedListingTheAcceptedOnes() {
        assertThatThrownBy(() -> artifacts(null).resolve(alice, false, "https://example.com/app.zip"))
                .hasMessage("codeArtifact.uri must be " + AwsCodeArtifacts.SCHEMES + "; got 'https://example.com/app.zip'");
    }

    @Test
    void aZipWithItsDockerfileInAFolderIsRefusedSayingWhereItMustBe() throws Exception {
        String id = upload(alice, zip("nested.zip", "app/Dockerfile", "app/server.sh"));

        assertThatThrownBy(() -> artifacts(null).resolve(alice, false, "burrow://uploads/" + id))
                .hasMessageStartingWith("codeArtifact.uri: the zip has no Dockerfile at its root (zip a folder's contents, not the folder)");
    }

    @Test
    void somethingOtherThanAZipIsRefused() throws Exception {
        Path tar = dir.resolve("app.tar");
        try (OutputStream out = Files.newOutputStream(tar)) {
            out.write(new byte[1024]);
        }
        String id = upload(alice, tar);

        assertThatThrownBy(() -> artifacts(null).resolve(alice, false, "burrow://uploads/" + id))
                .hasMessageContaining("the artifact is not a zip archive");
    }

    @Test
    @Tag("hostile")
    void aZipReachingOutOfItsContextIsRefusedAndLeavesNothingBehind() throws Exception {
        String id = upload(alice, zip("evil.zip", "Dockerfile", "../../escaped"));

        assertThatThrownBy(() -> artifacts(null).resolve(alice, false, "burrow://uploads/" + id))
                .isInstanceOfSatisfying(AwsError.class, e -> assertThat(e.code()).isEqualTo("ValidationException"))
                .hasMessageStartingWith("codeArtifact.uri: the zip cannot be used: ");
        assertThat(dir.resolve("escaped")).doesNotExist();
        try (var left = Files.list(dir.resolve("uploads"))) {
            assertThat(left).isEmpty();
        }
    }
}
