package dev.burrow.daemon.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import dev.burrow.daemon.Burrowd;
import dev.burrow.daemon.DaemonConfig;
import dev.burrow.vmm.kernel.KernelCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * A real burrowd on {@code data} whose log goes to the rotated file {@code logs/burrowd.log} as
 * in production, with Jetty at DEBUG (the level that once logged every Authorization header):
 * what the secrets tests scan. Closing stops the daemon and puts the test JVM's logging back.
 */
final class LoggedDaemon implements AutoCloseable {
    private final Logger root;
    private final Appender<ILoggingEvent> console;
    private final Logger jetty;
    private final Level jettyLevel;
    private Appender<ILoggingEvent> file;
    private Burrowd daemon;

    LoggedDaemon(Path data) throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        console = root.getAppender("CONSOLE");
        jetty = ctx.getLogger("org.eclipse.jetty");
        jettyLevel = jetty.getLevel();
        try {
            Files.createDirectories(data.resolve("logs"));
            file = LogFiles.rotateInto(data.resolve("logs").resolve("burrowd.log"), LogFiles.MAX_FILE_BYTES, LogFiles.SIZE_CHECK_MILLIS);
            jetty.setLevel(Level.DEBUG);
            daemon = Burrowd.start(DaemonConfig.fromEnvironment(Map.of(
                    "BURROW_DATA_DIR", data.toString(),
                    "BURROW_CACHE_DIR", KernelCache.cacheDirFromEnvironment().toString(),
                    "BURROW_LISTEN", "127.0.0.1:0")));
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    String base() {
        return "http://127.0.0.1:" + daemon.port();
    }

    @Override
    public void close() {
        jetty.setLevel(jettyLevel);
        if (daemon != null) {
            daemon.close();
        }
        if (file != null) {
            root.detachAppender(file);
            file.stop();
        }
        if (console != null && root.getAppender("CONSOLE") == null) {
            console.start();
            root.addAppender(console);
        }
    }
}
