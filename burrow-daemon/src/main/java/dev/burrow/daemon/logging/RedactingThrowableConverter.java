package dev.burrow.daemon.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.IThrowableProxy;

/**
 * Stack traces with credentials redacted: an exception message can quote a header or a key.
 * Lines stay lines (the trace is multi-line by nature); control characters inside each are escaped.
 */
public final class RedactingThrowableConverter extends ThrowableProxyConverter {

    @Override
    protected String throwableProxyToString(IThrowableProxy tp) {
        String trace = super.throwableProxyToString(tp);
        StringBuilder out = new StringBuilder(trace.length());
        for (String line : trace.split("\n", -1)) {
            if (!out.isEmpty()) {
                out.append('\n');
            }
            out.append(Redaction.redact(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line));
        }
        return out.toString();
    }
}
