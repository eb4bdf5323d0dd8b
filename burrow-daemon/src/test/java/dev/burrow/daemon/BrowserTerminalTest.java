package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.api.Chromium;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.vmm.kernel.KernelCache;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Dimension;

/**
 * The browser terminal as a user sees it: a real burrowd and microVM, Debian's headless
 * chromium driven through chromedriver, the page's xterm buffer read through JavaScript.
 */
class BrowserTerminalTest {

    private static final Path ARTIFACTS = Path.of("target", "artifacts");
    private static final Duration BUILD = Duration.ofMinutes(3);
    private static final Duration BUILD_POLL = Duration.ofMillis(200);
    /** Page waits: a cold microVM boot or a resume under TCG on a loaded machine takes seconds. */
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Pattern SIZE = Pattern.compile("(size\\d)=(\\d+) (\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Path dataDir;
    private static Burrowd daemon;
    private static String base;
    private static String key;
    private static Chromium browser;

    @BeforeAll
    static void start() throws Exception {
        Chromium.assumeInstalled();
        dataDir = Files.createTempDirectory("burrowd-shell-test-");
        daemon = Burrowd.start(new DaemonConfig(dataDir, KernelCache.cacheDirFromEnvironment(), "127.0.0.1", 0, false, 1, 28800, 1));
        base = "http://127.0.0.1:" + daemon.port();
        key = Files.readString(dataDir.resolve("admin.key")).strip();
        buildImage();
        browser = Chromium.start(900, 600, WAIT);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (daemon != null) {
            for (JsonNode vm : JSON.readTree(call("GET", "/v1/microvms?limit=500", null).body()).path("items")) {
                if (!vm.get("state").asText().matches("TERMINATED|FAILED")) {
                    call("DELETE", "/v1/microvms/" + vm.get("id").asText(), null);
                }
            }
            daemon.close();
        }
    }

    @Test
    void aUserTypesResizesAndResumesTheTerminalAfterASuspend() throws Exception {
        String id = ok(call("POST", "/v1/microvms", "{\"image\":\"bb\",\"idlePolicy\":{\"maxIdleSeconds\":3600,\"autoResume\":true}}"), 201)
                .get("id").asText();
        String token = ok(call("POST", "/v1/microvms/" + id + "/tokens", "{\"scope\":\"pty\"}"), 201).get("token").asText();

        browser.driver.get(base + "/shell/" + id + "?token=" + token);
        assertThat(browser.driver.getCurrentUrl()).isEqualTo(base + "/shell/" + id);
        try {
            browser.awaitConnections(1);
            browser.awaitPrompt();
            browser.typeLine("echo $((6*7))");
            browser.awaitLine("42");
            browser.screenshot(ARTIFACTS.resolve("browser-terminal.png"));

            browser.typeLine("echo size1=$(stty size)");
            List<Integer> before = sttySize("size1");
            assertThat(before).isEqualTo(List.of(browser.rows(), browser.cols()));
            browser.driver.manage().window().setSize(new Dimension(1400, 900));
            browser.until(() -> browser.cols() > before.get(1) && browser.rows() > before.get(0), "the terminal to grow with the window");
            browser.typeLine("echo size2=$(stty size)");
            List<Integer> after = sttySize("size2");
            assertThat(after).isEqualTo(List.of(browser.rows(), browser.cols())).isNotEqualTo(before);

            ok(call("POST", "/v1/microvms/" + id + "/suspend", ""), 200);
            browser.until(() -> "suspended".equals(browser.state()), "the page to show the suspension");
            // the command typed on the suspended page resumes the microVM and runs in the new shell
            long typed = System.nanoTime();
            browser.typeLine("echo resumed-$((2+3))");
            browser.awaitConnections(2);
            browser.awaitLine("resumed-5");
            System.out.printf("browser terminal: from a key on the suspended page to the command's output: %d ms%n",
                    (System.nanoTime() - typed) / 1_000_000);
            assertThat(ok(call("GET", "/v1/microvms/" + id, null), 200).get("state").asText()).isEqualTo("RUNNING");
        } catch (AssertionError | RuntimeException e) {
            browser.screenshot(ARTIFACTS.resolve("browser-terminal-failure.png"));
            throw e;
        }
    }

    private static void buildImage() throws Exception {
        Path layout = dataDir.resolve("fixture-layout");
        BuiltinImages.busybox(layout);
        Path archive = dataDir.resolve("fixture.tar");
        OciLayoutWriter.toArchive(layout, archive);
        HttpResponse<String> up = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/uploads")).header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofFile(archive)).build(), HttpResponse.BodyHandlers.ofString());
        String uploadId = ok(up, 201).get("uploadId").asText();
        ok(call("POST", "/v1/images", "{\"name\":\"bb\",\"source\":{\"type\":\"upload\",\"uploadId\":\"" + uploadId
                + "\",\"format\":\"oci-archive\"},\"resources\":{\"memoryMiB\":256,\"diskMiB\":1024}}"), 202);
        // polled against a deadline: the build log's follow is not a stream yet
        long deadline = System.nanoTime() + BUILD.toNanos();
        String state;
        do {
            state = ok(call("GET", "/v1/images/bb/versions/1", null), 200).get("state").asText();
            if (state.matches("READY|FAILED")) {
                break;
            }
            Thread.sleep(BUILD_POLL.toMillis());
        } while (System.nanoTime() < deadline);
        assertThat(state).as(call("GET", "/v1/images/bb/versions/1/logs", null).body()).isEqualTo("READY");
    }

    private static List<Integer> sttySize(String marker) {
        AtomicReference<List<Integer>> found = new AtomicReference<>();
        browser.until(() -> {
            for (String l : browser.lines()) {
                Matcher m = SIZE.matcher(l);
                if (m.find() && m.group(1).equals(marker)) {
                    found.set(List.of(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))));
                }
            }
            return found.get() != null;
        }, "the output of stty size (" + marker + ")");
        return found.get();
    }

    private static HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                .timeout(Duration.ofMinutes(2));
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return JSON.readTree(r.body());
    }
}
