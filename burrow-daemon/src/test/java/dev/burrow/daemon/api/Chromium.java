package dev.burrow.daemon.api;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless chromium through chromedriver, with the terminal page's own handles
 * ({@code window.burrowShell}) for the tests of the browser terminal. Tests that need it are
 * skipped, saying why, where chromium is not installed.
 */
public final class Chromium implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration POLL = Duration.ofMillis(100);

    public final ChromeDriver driver;
    private final Duration wait;

    private Chromium(ChromeDriver driver, Duration wait) {
        this.driver = driver;
        this.wait = wait;
    }

    /** Skips the calling test when chromium or chromedriver is missing. */
    public static void assumeInstalled() {
        Assumptions.assumeTrue(Files.isExecutable(BINARY) && Files.isExecutable(DRIVER),
                "the browser terminal tests need Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)");
    }

    /** A headless browser whose waits give up after {@code wait}. */
    public static Chromium start(int width, int height, Duration wait) {
        assumeInstalled();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BINARY.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=" + width + "," + height);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER.toString()))
                .usingAnyFreePort().build();
        return new Chromium(new ChromeDriver(service, options), wait);
    }

    public Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    /** Types a line into the terminal (xterm's input element) and presses Enter. */
    public void typeLine(String line) {
        driver.findElement(By.cssSelector(".xterm-helper-textarea")).sendKeys(line + Keys.ENTER);
    }

    public void type(String text) {
        driver.findElement(By.cssSelector(".xterm-helper-textarea")).sendKeys(text);
    }

    @SuppressWarnings("unchecked")
    public List<String> lines() {
        Object lines = js("return window.burrowShell ? window.burrowShell.lines() : []");
        return (List<String>) lines;
    }

    public String state() {
        return String.valueOf(js("return window.burrowShell && window.burrowShell.state"));
    }

    public int connections() {
        return ((Number) js("return window.burrowShell.connections")).intValue();
    }

    public int rows() {
        return ((Number) js("return window.burrowShell.term.rows")).intValue();
    }

    public int cols() {
        return ((Number) js("return window.burrowShell.term.cols")).intValue();
    }

    public String status() {
        return String.valueOf(js("const s = document.getElementById('status'); return s ? s.textContent : null"));
    }

    /** Waits until the page is connected for the {@code n}th time. */
    public void awaitConnections(int n) {
        until(() -> "connected".equals(state()) && connections() >= n, "connection " + n + " to the PTY");
    }

    /** Waits until the last non-blank line is a shell prompt (it ends with # or $), so typing is not echoed ahead of the shell. */
    public void awaitPrompt() {
        until(() -> lines().stream().map(String::strip).filter(l -> !l.isEmpty()).reduce((a, b) -> b)
                .filter(l -> l.endsWith("#") || l.endsWith("$")).isPresent(), "a shell prompt");
    }

    /** Waits until a line of the terminal, stripped, is {@code text}. */
    public void awaitLine(String text) {
        until(() -> lines().stream().anyMatch(l -> l.strip().equals(text)), "a line '" + text + "' on the page");
    }

    /** The browser console's messages at {@code level} or above since the last call. */
    public List<String> console(Level level) {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream().filter(e -> e.getLevel().intValue() >= level.intValue())
                .map(LogEntry::getMessage).toList();
    }

    /** Waits for {@code condition}; a timeout names {@code what} and shows the page's text. */
    public void until(BooleanSupplier condition, String what) {
        new WebDriverWait(driver, wait, POLL).withMessage(() -> "waited " + wait.toSeconds() + " s for " + what
                + "; the page '" + driver.getTitle() + "' (" + state() + ", status '" + status() + "') shows:\n" + String.join("\n", lines()) + "\nconsole: " + console(Level.ALL)
                + "\nsource: " + driver.getPageSource().substring(0, Math.min(2000, driver.getPageSource().length())))
                .until(d -> condition.getAsBoolean());
    }

    /** Saves a PNG of the window. */
    public void screenshot(Path file) throws Exception {
        Files.createDirectories(file.getParent());
        Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    @Override
    public void close() {
        driver.quit();
    }
}
