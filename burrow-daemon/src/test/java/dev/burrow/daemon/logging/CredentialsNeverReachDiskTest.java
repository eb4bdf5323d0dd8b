package dev.burrow.daemon.logging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.jail.JailIds;
import dev.burrow.vmm.internal.FileTrees;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real burrowd, its log in a rotated file and Jetty at DEBUG (the level that logged every
 * Authorization header before): after authenticated and refused calls, no file it wrote holds a
 * key, and nothing under its data directory is open to other users.
 */
@Tag("hostile")
class CredentialsNeverReachDiskTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Set<PosixFilePermission> OPEN = EnumSet.complementOf(EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    @Test
    void noFileBurrowdWritesHoldsAKeyAndNoneIsReadableByOthers() throws Exception {
        Path data = Files.createTempDirectory("burrowd-secrets-");
        String wrongKey = "bk_WrongKeyThatMustNotBeLoggedAnywhere0123";
        String key;
        try (LoggedDaemon daemon = new LoggedDaemon(data)) {
            String base = daemon.base();
            key = Files.readString(data.resolve("admin.key")).strip();
            for (String path : List.of("/v1/version", "/v1/microvms", "/v1/images", "/v1/events", "/v1/microvms/vmnothere")) {
                call(base + path, key);
                call(base + path, wrongKey);
            }
            assertThat(call(base + "/v1/version", key)).isEqualTo(200);
            assertThat(call(base + "/v1/version", wrongKey)).isEqualTo(401);
        }
        try {
            String secret = key.substring(12); // beyond the stored prefix
            List<String> leaks = new ArrayList<>();
            List<String> open = new ArrayList<>();
            long logBytes;
            // what jails read (kernel, templates, backing disks) is root's and the instance's VMM group's,
            // a group no user is in (docs/adr/0017-the-jail.md); no entry is ever open to others
            long vmmGroup = JailIds.forInstance(EngineConfig.instanceIdFor(data)).group();
            try (Stream<Path> all = Files.walk(data)) {
                for (Path p : all.toList()) {
                    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                    boolean jailsGroup = ((Number) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue() == vmmGroup;
                    Set<PosixFilePermission> forbidden = jailsGroup ? OTHERS : OPEN;
                    if (!Files.isSymbolicLink(p) && perms.stream().anyMatch(forbidden::contains)) {
                        open.add(data.relativize(p) + " " + perms + (jailsGroup ? " (the jails' group)" : ""));
                    }
                    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && !p.getFileName().toString().equals("admin.key")) {
                        String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                        if (text.contains(secret) || text.contains(wrongKey.substring(3))) {
                            leaks.add(data.relativize(p).toString());
                        }
                    }
                }
            }
            logBytes = Files.size(data.resolve("logs").resolve("burrowd.log"));
            assertThat(logBytes).as("Jetty at DEBUG wrote the log the test greps").isGreaterThan(10_000);
            assertThat(leaks).as("files holding a key").isEmpty();
            assertThat(open).as("entries open to group or others").isEmpty();
            Path run = Path.of("/run/burrow", EngineConfig.instanceIdFor(data));
            if (Files.exists(run)) {
                assertThat(Files.getPosixFilePermissions(run)).doesNotContainAnyElementsOf(OPEN);
            }
        } finally {
            FileTrees.deleteQuietly(data);
            FileTrees.deleteQuietly(Path.of("/run/burrow", EngineConfig.instanceIdFor(data)));
        }
    }

    private static int call(String url, String key) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key).GET().build();
        return HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
