package dev.burrow.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.BuildLog;
import dev.burrow.oci.registry.testing.FakeRegistry;
import dev.burrow.oci.registry.testing.FakeRegistry.Auth;
import dev.burrow.oci.registry.testing.FakeRegistry.CutAfter;
import dev.burrow.oci.registry.testing.FakeRegistry.DenyEchoingAuthorization;
import dev.burrow.oci.registry.testing.TestImages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** No password, token or Authorization header in a build log line, a log event or an exception. */
@Tag("hostile")
class SecretsNeverShownTest {
    private static final String USER = "carol";
    private static final String PASSWORD = "pw-Zq81-never-shown";
    private static final String GIVEN_TOKEN = "tok-Yx22-never-shown";

    @TempDir
    Path tmp;

    private final List<String> shown = new ArrayList<>();
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private Level rootLevel;
    private FakeRegistry fake;
    private ImageReference ref;

    private final BuildLog log = new BuildLog() {
        @Override
        public void warn(String message) {
            shown.add(message);
        }

        @Override
        public void info(String message) {
            shown.add(message);
        }
    };

    @BeforeEach
    void start() throws IOException {
        rootLevel = root.getLevel();
        root.setLevel(Level.ALL);
        events.start();
        root.addAppender(events);
        fake = new FakeRegistry();
        fake.serve("team/app", "v1", TestImages.layout(tmp.resolve("img"), Map.of("f", "x".repeat(100_000))));
        ref = ImageReference.parse(fake.host() + "/team/app:v1");
    }

    @AfterEach
    void stop() {
        root.detachAppender(events);
        root.setLevel(rootLevel);
        fake.close();
    }

    private void pull(Credentials creds, String storeName) {
        Throwable t = catchThrowable(() -> new RegistryClient(RegistrySettings.defaults().withTransferAttempts(1))
                .pull(ref, null, creds, new BlobStore(tmp.resolve(storeName)), log));
        for (Throwable c = t; c != null; c = c.getCause()) {
            shown.add(String.valueOf(c));
            for (StackTraceElement e : c.getStackTrace()) {
                shown.add(e.toString());
            }
        }
    }

    @Test
    void pullsThatSucceedAndFailShowNoSecret() {
        fake.auth(Auth.BEARER, USER, PASSWORD);
        pull(Credentials.basic(USER, PASSWORD), "ok");
        pull(Credentials.basic(USER, "wrong-" + PASSWORD), "wrong");
        pull(Credentials.token(GIVEN_TOKEN), "token");
        fake.auth(Auth.BASIC, USER, PASSWORD);
        pull(Credentials.basic(USER, "wrong-" + PASSWORD), "basic-wrong");
        fake.auth(Auth.REFUSE_EVERY_TOKEN, USER, PASSWORD);
        pull(Credentials.basic(USER, PASSWORD), "refused");
        fake.auth(Auth.BEARER, USER, PASSWORD).script(firstBlob(), new CutAfter(10));
        pull(Credentials.basic(USER, PASSWORD), "cut");
        fake.auth(Auth.NONE, USER, PASSWORD).script("team/app:v1", new DenyEchoingAuthorization());
        pull(Credentials.token(GIVEN_TOKEN), "echo-token"); // no challenge: the token is never sent
        fake.auth(Auth.BASIC, USER, PASSWORD).script("team/app:v1", new DenyEchoingAuthorization());
        pull(Credentials.basic(USER, PASSWORD), "echo-basic");
        assertThat(shown).anySatisfy(s -> assertThat(s).contains("denied access").contains("DENIED"));

        shown.add(Credentials.basic(USER, PASSWORD).toString());
        shown.add(Credentials.token(GIVEN_TOKEN).toString());
        events.list.forEach(e -> shown.add(e.getFormattedMessage()));

        List<String> secrets = new ArrayList<>(List.of(PASSWORD, GIVEN_TOKEN, "Authorization", "Bearer ",
                Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8))));
        secrets.addAll(fake.issuedTokens());
        assertThat(fake.issuedTokens()).isNotEmpty();
        assertThat(shown).isNotEmpty().anySatisfy(s -> assertThat(s).contains("registry refused the credentials"));
        for (String line : shown) {
            for (String secret : secrets) {
                assertThat(line).doesNotContain(secret);
            }
        }
    }

    private String firstBlob() {
        return fake.requests().stream().map(FakeRegistry.Request::path).filter(p -> p.contains("/blobs/"))
                .map(p -> p.substring(p.lastIndexOf('/') + 1)).reduce((a, b) -> b).orElseThrow();
    }
}
