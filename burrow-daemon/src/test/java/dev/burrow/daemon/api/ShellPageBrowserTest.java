package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.tokens.PortSet;
import dev.burrow.daemon.tokens.Scope;
import dev.burrow.daemon.tokens.Tokens;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;

/**
 * The terminal page's script in headless chromium, against burrowd's HTTP server with the shell
 * routes, the real token store and the PTY route over echo terminals ({@link FakePtys}): fast,
 * no microVM (BrowserTerminalTest has the real one).
 */
class ShellPageBrowserTest {

    private static final String VM = "vm1";
    private static final String TENANT = "a";
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static Chromium browser;

    @TempDir
    Path dir;

    Database db;
    Tokens tokens;
    ApiServer server;
    String base;
    final FakePtys ptys = new FakePtys();

    @BeforeAll
    static void browser() {
        browser = Chromium.start(900, 600, WAIT);
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @BeforeEach
    void start() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        tokens = new Tokens(db, Clock.systemUTC());
        server = new ApiServer("127.0.0.1", 0, new ApiKeys(db), ApiLimits.DEFAULTS).webSocketTokens(tokens);
        ptys.tenant = TENANT;
        ptys.known.add(VM);
        new PtyRoutes(ptys, PtyLimits.DEFAULTS).register(server);
        new ShellPage(tokens, ShellAssets.load(), Clock.systemUTC()).register(server);
        server.start();
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() throws Exception {
        browser.driver.manage().deleteAllCookies();
        server.close();
        db.close();
    }

    @Test
    void keysReachTheTerminalAndItsOutputShowsWithNoConsoleError() {
        open();
        browser.awaitConnections(1);
        assertThat(ptys.last().request.cols()).isEqualTo(browser.cols());
        assertThat(ptys.last().request.rows()).isEqualTo(browser.rows());

        browser.typeLine("hello-browser");

        browser.awaitLine("hello-browser");
        assertThat(ptys.last().input.toString()).isEqualTo("hello-browser\r");
        assertThat(browser.console(Level.WARNING)).isEmpty();
    }

    @Test
    void aWindowResizeResizesTheTerminal() {
        open();
        browser.awaitConnections(1);
        String before = browser.cols() + "x" + browser.rows();

        browser.driver.manage().window().setSize(new Dimension(1300, 850));

        browser.until(() -> !ptys.last().resizes.isEmpty() && ptys.last().resizes.getLast().equals(browser.cols() + "x" + browser.rows()),
                "the new size to reach the terminal");
        assertThat(ptys.last().resizes.getLast()).isNotEqualTo(before);
        browser.driver.manage().window().setSize(new Dimension(900, 600));
    }

    @Test
    void anUnexpectedCloseReconnectsAndATerminalThatCannotOpenIsRetriedUntilItCan() {
        open();
        browser.awaitConnections(1);
        ptys.known.remove(VM);

        ptys.last().fail("the agent channel broke");

        browser.until(() -> "reconnecting".equals(browser.state()), "the page to show it is reconnecting");
        assertThat(browser.status()).isEqualTo("reconnecting…");
        ptys.known.add(VM);
        browser.awaitConnections(2);
        assertThat(ptys.opened).hasSize(2);
        browser.typeLine("after-reconnect");
        browser.awaitLine("after-reconnect");
    }

    @Test
    void aSuspendedTerminalWaitsForAKeyAndSendsWhatWasTypedOnceBack() {
        open();
        browser.awaitConnections(1);
        ptys.suspended.add(VM);

        ptys.last().fail("the microVM was suspended");

        browser.until(() -> "suspended".equals(browser.state()), "the page to show the suspension");
        assertThat(browser.status()).contains("press a key");
        assertThat(ptys.opened).hasSize(1);
        ptys.suspended.remove(VM); // what an autoResume does when the reconnect arrives
        browser.typeLine("typed-while-suspended");
        browser.awaitConnections(2);
        browser.awaitLine("typed-while-suspended");
        assertThat(ptys.last().input.toString()).isEqualTo("typed-while-suspended\r");
    }

    @Test
    void anExitShowsItsCodeAndEndsTheSession() {
        open();
        browser.awaitConnections(1);

        browser.type(Keys.chord(Keys.CONTROL, "d"));

        browser.until(() -> "exited".equals(browser.state()), "the page to show the exit");
        browser.awaitLine("[exited with code 0]");
        assertThat(browser.status()).contains("exited with code 0");
        assertThat(browser.connections()).isEqualTo(1);
    }

    @Test
    void thePageRunsXtermUnderItsContentSecurityPolicy() {
        open();
        browser.awaitConnections(1);

        assertThat(browser.driver.findElements(By.cssSelector(".xterm-screen"))).hasSize(1);
        assertThat(browser.console(Level.ALL)).noneMatch(m -> m.contains("Content Security Policy"));
    }

    @Test
    void anExpiredLinkShowsWhyAndNoTerminal() {
        browser.driver.get(base + "/shell/" + VM + "?token=" + "x".repeat(43));

        assertThat(browser.driver.getTitle()).contains("expired");
        assertThat(browser.driver.findElements(By.cssSelector(".xterm-screen"))).isEmpty();
    }

    /** Opens the terminal with a fresh link; what the console said before is dropped. */
    private void open() {
        browser.console(Level.ALL);
        String token = tokens.issue(TENANT, VM, Scope.PTY, PortSet.all(), Duration.ofMinutes(5)).token();
        browser.driver.get(base + "/shell/" + VM + "?token=" + token);
        assertThat(browser.driver.getCurrentUrl()).isEqualTo(base + "/shell/" + VM);
    }
}
