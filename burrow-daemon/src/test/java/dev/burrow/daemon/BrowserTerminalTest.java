package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.api.Chromium;
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
    /** Page waits: a cold microVM boot or a resume under TCG on a loaded machine takes seconds. */
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Pattern SIZE = Pattern.compile("(size\\d)=(\\d+) (\\d+)");

    private static TestDaemon daemon;
    private static String base;
    private static Chromium browser;

    @BeforeAll
    static void start() throws Exception {
        Chromium.assumeInstalled();
        daemon = TestDaemon.start("browser");
        base = daemon.base;
        daemon.buildBusybox("bb");
        browser = Chromium.start(900, 600, WAIT);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void aUserTypesResizesAndResumesTheTerminalAfterASuspend() throws Exception {
        String id = daemon.call("POST", "/v1/microvms", "{\"image\":\"bb\",\"idlePolicy\":{\"maxIdleSeconds\":3600,\"autoResume\":true}}", 201)
                .get("id").asText();
        String token = daemon.call("POST", "/v1/microvms/" + id + "/tokens", "{\"scope\":\"pty\"}", 201).get("token").asText();

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

            daemon.call("POST", "/v1/microvms/" + id + "/suspend", null, 200);
            browser.until(() -> "suspended".equals(browser.state()), "the page to show the suspension");
            // the command typed on the suspended page resumes the microVM and runs in the new shell
            long typed = System.nanoTime();
            browser.typeLine("echo resumed-$((2+3))");
            browser.awaitConnections(2);
            browser.awaitLine("resumed-5");
            System.out.printf("browser terminal: from a key on the suspended page to the command's output: %d ms%n",
                    (System.nanoTime() - typed) / 1_000_000);
            assertThat(daemon.call("GET", "/v1/microvms/" + id, null, 200).get("state").asText()).isEqualTo("RUNNING");
        } catch (AssertionError | RuntimeException e) {
            browser.screenshot(ARTIFACTS.resolve("browser-terminal-failure.png"));
            throw e;
        }
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

}
