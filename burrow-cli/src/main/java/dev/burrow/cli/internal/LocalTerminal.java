package dev.burrow.cli.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The local side of {@code burrow shell}: the user's terminal in raw mode (every key, Ctrl-C
 * included, is a byte for the remote terminal), its size and its window changes. {@link #close}
 * restores the terminal and is safe to call more than once; a shutdown hook calls it too, so a
 * SIGTERM or SIGHUP never leaves the user's terminal raw.
 */
public interface LocalTerminal extends AutoCloseable {

    int cols();

    int rows();

    InputStream input();

    OutputStream output();

    /** Calls {@code listener} after every window size change. */
    void onResize(Runnable listener);

    @Override
    void close();

    /** The process's own terminal through JLine's exec provider (stty; no native code). */
    static LocalTerminal system() throws IOException {
        return new JLine();
    }

    /** Plain streams, for a stdin that is not a terminal: no raw mode, a fixed size. */
    static LocalTerminal streams(InputStream in, OutputStream out, int cols, int rows) {
        return new LocalTerminal() {
            @Override
            public int cols() {
                return cols;
            }

            @Override
            public int rows() {
                return rows;
            }

            @Override
            public InputStream input() {
                return in;
            }

            @Override
            public OutputStream output() {
                return out;
            }

            @Override
            public void onResize(Runnable listener) {
                // a stream has no window
            }

            @Override
            public void close() {
                // nothing was changed
            }
        };
    }

    /** JLine's system terminal, raw from construction until {@link #close}. */
    final class JLine implements LocalTerminal {

        /** 128 + the signal, as a shell reports a process it ended. */
        private static final int EXIT_ON_SIGINT = 130;
        private static final int EXIT_ON_SIGQUIT = 131;

        private final Terminal terminal;
        private final Attributes saved;
        private final AtomicBoolean closed = new AtomicBoolean();
        private final Thread restoreOnExit = new Thread(this::close, "burrow-shell-restore");

        JLine() throws IOException {
            // JLine's defaults would give SIGINT/SIGQUIT the OS default, which ends the JVM without its
            // shutdown hooks, so without restoring the terminal: they end it the JVM's way instead
            terminal = TerminalBuilder.builder().system(true).exec(true).ffm(false).jni(false).jna(false).jansi(false)
                    .dumb(false).nativeSignals(true).signalHandler(Terminal.SignalHandler.SIG_IGN).build();
            Runtime.getRuntime().addShutdownHook(restoreOnExit);
            terminal.handle(Terminal.Signal.INT, s -> System.exit(EXIT_ON_SIGINT));
            terminal.handle(Terminal.Signal.QUIT, s -> System.exit(EXIT_ON_SIGQUIT));
            saved = terminal.enterRawMode();
            // raw as ssh makes it: no local echo, no signals from keys, bytes through unchanged both ways
            Attributes raw = new Attributes(terminal.getAttributes());
            raw.setLocalFlag(Attributes.LocalFlag.ISIG, false);
            raw.setLocalFlag(Attributes.LocalFlag.IEXTEN, false);
            raw.setInputFlag(Attributes.InputFlag.IXON, false);
            raw.setInputFlag(Attributes.InputFlag.ICRNL, false);
            raw.setOutputFlag(Attributes.OutputFlag.OPOST, false);
            terminal.setAttributes(raw);
        }

        @Override
        public int cols() {
            Size s = terminal.getSize();
            return s.getColumns() > 0 ? s.getColumns() : 80;
        }

        @Override
        public int rows() {
            Size s = terminal.getSize();
            return s.getRows() > 0 ? s.getRows() : 24;
        }

        @Override
        public InputStream input() {
            return terminal.input();
        }

        @Override
        public OutputStream output() {
            return terminal.output();
        }

        @Override
        public void onResize(Runnable listener) {
            terminal.handle(Terminal.Signal.WINCH, s -> listener.run());
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            try {
                terminal.setAttributes(saved);
                terminal.flush();
            } finally {
                try {
                    terminal.close();
                } catch (IOException ignored) {
                    // the attributes are back, which is what matters
                }
                try {
                    Runtime.getRuntime().removeShutdownHook(restoreOnExit);
                } catch (IllegalStateException shuttingDown) {
                    // called from the hook itself
                }
            }
        }
    }
}
