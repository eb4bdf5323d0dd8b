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

/**
 * The terminal page's script in headless chromium, against burrowd's HTTP server with the shell
 * routes and the real token store: fast, no microVM (BrowserTerminalTest has the real one).
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
        server = new ApiServer("127.0.0.1", 0, new ApiKeys(db), ApiLimits.DEFAULTS);
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
    void thePageRunsXtermUnderItsContentSecurityPolicyAndRetriesAMissingTerminal() {
        open();

        browser.until(() -> !browser.driver.findElements(By.cssSelector(".xterm-screen")).isEmpty(), "xterm's screen");
        browser.until(() -> "reconnecting".equals(browser.state()), "the page to retry the socket this server does not have");
        assertThat(browser.status()).isEqualTo("reconnecting…");
        assertThat(browser.cols()).isGreaterThan(80);
        assertThat(browser.console(Level.ALL)).noneMatch(m -> m.contains("Content Security Policy"));
    }

    @Test
    void anExpiredLinkShowsWhyAndNoTerminal() {
        browser.driver.get(base + "/shell/" + VM + "?token=" + "x".repeat(43));

        assertThat(browser.driver.getTitle()).contains("expired");
        assertThat(browser.driver.findElements(By.cssSelector(".xterm-screen"))).isEmpty();
    }

    private void open() {
        String token = tokens.issue(TENANT, VM, Scope.PTY, PortSet.all(), Duration.ofMinutes(5)).token();
        browser.driver.get(base + "/shell/" + VM + "?token=" + token);
        assertThat(browser.driver.getCurrentUrl()).isEqualTo(base + "/shell/" + VM);
    }
}
