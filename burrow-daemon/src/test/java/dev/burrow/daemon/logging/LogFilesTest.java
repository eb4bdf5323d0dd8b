package dev.burrow.daemon.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import dev.burrow.daemon.files.FileModes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class LogFilesTest {

    @TempDir
    Path dir;
    private Logger root;
    private Appender<ILoggingEvent> console;
    private Appender<ILoggingEvent> file;

    @BeforeEach
    void saveConsole() {
        FileModes.restrictUmask();
        root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME);
        console = root.getAppender("CONSOLE");
    }

    @AfterEach
    void restoreConsole() {
        if (file != null) {
            root.detachAppender(file);
            file.stop();
        }
        if (console != null && root.getAppender("CONSOLE") == null) {
            console.start();
            root.addAppender(console);
        }
    }

    @Test
    void theShippedConfigurationLogsAtInfoWithJettyAtWarn() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        assertThat(root.getLevel().levelStr).isEqualTo("INFO");
        assertThat(ctx.getLogger("org.eclipse.jetty.server.HttpChannel").getEffectiveLevel().levelStr).isEqualTo("WARN");
    }

    @Test
    void aRotatedFileCarriesRequestAndMicroVmIdsAndNoCredential() throws Exception {
        Path log = dir.resolve("burrowd.log");
        file = LogFiles.rotateInto(log, 64 * 1024, LogFiles.SIZE_CHECK_MILLIS);
        org.slf4j.Logger l = LoggerFactory.getLogger("dev.burrow.daemon.test");
        MDC.put("requestId", "req_42");
        MDC.put("microvm", "vm0abc");
        try {
            l.info("call with Authorization: Bearer bk_ThisMustNeverBeOnDisk0123456789");
            l.warn("failed", new IllegalStateException("key bk_ThisMustNeverBeOnDisk0123456789 rejected"));
        } finally {
            MDC.clear();
        }
        String text = Files.readString(log);
        assertThat(text).contains("req=req_42 vm=vm0abc").contains("…[redacted]").contains("IllegalStateException")
                .doesNotContain("ThisMustNeverBeOnDisk");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log))).isEqualTo("rw-------");
    }

    @Test
    void theFileRotatesBySizeAndKeepsABoundedNumberOfOldFiles() throws Exception {
        Path log = dir.resolve("burrowd.log");
        file = LogFiles.rotateInto(log, 16 * 1024, 1);
        org.slf4j.Logger l = LoggerFactory.getLogger("dev.burrow.daemon.test");
        String line = "z".repeat(500);
        // logback checks the size at most once per check increment (1 ms here): log until the oldest kept file
        // exists, then as much again, and only then count
        Path oldest = dir.resolve("burrowd.log." + LogFiles.KEEP);
        long deadline = System.nanoTime() + 20_000_000_000L;
        int i = 0;
        while (!Files.exists(oldest) && System.nanoTime() < deadline) {
            l.info("{} {}", i++, line);
        }
        for (int j = 0; j < i; j++) {
            l.info("{} {}", j, line);
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.sorted().toList();
        }
        assertThat(oldest).exists();
        assertThat(files).hasSize(LogFiles.KEEP + 1).doesNotContain(dir.resolve("burrowd.log." + (LogFiles.KEEP + 1)));
        for (Path f : files) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        }
    }
}
