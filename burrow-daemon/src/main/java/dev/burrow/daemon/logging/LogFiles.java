package dev.burrow.daemon.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.Duration;
import ch.qos.logback.core.util.FileSize;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Properties;
import org.slf4j.LoggerFactory;

/**
 * Sends burrowd's log to a file rotated by size instead of the console: {@code burrowd.log}
 * plus at most {@link #KEEP} older files of {@link #MAX_FILE_BYTES} each. The files are created
 * under the daemon's umask (077), so only its user can read them.
 */
public final class LogFiles {

    public static final long MAX_FILE_BYTES = 10L * 1024 * 1024;
    public static final int KEEP = 5;
    /** How often the size is checked (logback's default is once a minute, long enough for a flood to write far past the limit). */
    public static final long SIZE_CHECK_MILLIS = 1000;
    static final String PATTERN_PROPERTY = "burrow.log.pattern";

    private LogFiles() {
    }

    /** The line format shared with logback.xml, from {@code burrow-logging.properties}. */
    public static String pattern() {
        try (InputStream in = LogFiles.class.getClassLoader().getResourceAsStream("burrow-logging.properties")) {
            if (in == null) {
                throw new IllegalStateException("burrow-logging.properties is missing from the class path");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty(PATTERN_PROPERTY);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces the console appender with a size-rotated file at {@code file}. */
    public static void rotateInto(Path file) {
        rotateInto(file, MAX_FILE_BYTES, SIZE_CHECK_MILLIS);
    }

    /** As {@link #rotateInto(Path)} with files of {@code maxFileBytes} checked every {@code sizeCheckMillis}; returns the file appender. */
    static Appender<ILoggingEvent> rotateInto(Path file, long maxFileBytes, long sizeCheckMillis) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        // %msg and %ex map to the redacting converters through the conversion rules logback.xml
        // put in this context; LogFilesTest checks that a key logged here comes out redacted

        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(pattern());

        RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
        appender.setContext(ctx);
        appender.setName("FILE");
        appender.setFile(file.toString());
        appender.setEncoder(encoder);

        FixedWindowRollingPolicy rolling = new FixedWindowRollingPolicy();
        rolling.setContext(ctx);
        rolling.setParent(appender);
        rolling.setFileNamePattern(file + ".%i");
        rolling.setMinIndex(1);
        rolling.setMaxIndex(KEEP);

        SizeBasedTriggeringPolicy<ILoggingEvent> trigger = new SizeBasedTriggeringPolicy<>();
        trigger.setContext(ctx);
        trigger.setMaxFileSize(new FileSize(maxFileBytes));
        trigger.setCheckIncrement(Duration.buildByMilliseconds(sizeCheckMillis));

        appender.setRollingPolicy(rolling);
        appender.setTriggeringPolicy(trigger);
        encoder.start();
        rolling.start();
        trigger.start();
        appender.start();

        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        Appender<ILoggingEvent> console = root.getAppender("CONSOLE");
        root.addAppender(appender);
        if (console != null) {
            root.detachAppender(console);
            console.stop();
        }
        return appender;
    }
}
