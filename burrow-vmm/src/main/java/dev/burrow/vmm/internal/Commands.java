package dev.burrow.vmm.internal;

import dev.burrow.vmm.VmmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short host tools (qemu-img, qemu --version) with a deadline and their output in errors. */
public final class Commands {

    private Commands() {}

    public static String run(List<String> argv, long timeoutSeconds) throws VmmException {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new VmmException(String.join(" ", argv) + " did not finish within " + timeoutSeconds + " s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new VmmException(String.join(" ", argv) + " failed (exit " + p.exitValue() + "): " + tail(text));
            }
            return text;
        } catch (IOException e) {
            throw new VmmException("could not run " + argv.getFirst() + ": " + e.getMessage()
                    + " (is it installed? `./burrow up` or .ci/run installs it)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted running " + argv.getFirst(), e);
        }
    }

    public static String tail(String text) {
        String t = text.strip();
        return t.length() <= 2000 ? t : "…" + t.substring(t.length() - 2000);
    }
}
