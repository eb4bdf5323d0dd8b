package dev.burrow.oci.dockerfile.internal;

import dev.burrow.oci.dockerfile.Heredoc;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The shell command of a RUN with heredocs, as Docker builds it: a RUN that is only
 * {@code <<EOF} runs the body as the shell command (or, when the body starts with {@code #!}, as
 * a script file); otherwise the heredocs are put back after the command for the shell to read.
 */
public final class RunHeredocs {
    private static final Pattern ONLY_HEREDOC = Pattern.compile("^\\d*<<-?[^<\\s]+$");

    private RunHeredocs() {
    }

    public static String command(String shell, List<Heredoc> heredocs) {
        if (heredocs.size() == 1 && ONLY_HEREDOC.matcher(shell.strip()).matches()) {
            String body = heredocs.getFirst().content();
            return body.startsWith("#!") ? script(body) : body;
        }
        StringBuilder full = new StringBuilder(shell);
        for (Heredoc h : heredocs) {
            full.append('\n').append(h.content()).append(h.name());
        }
        return full.toString();
    }

    /**
     * Docker mounts a shebang body as a file and runs it; Burrow's builder has no such mount, so
     * the shell writes the body to a private temporary file, runs it and removes it.
     */
    private static String script(String body) {
        String delimiter = "BURROW_SCRIPT";
        for (int n = 0; body.contains(delimiter); n++) {
            delimiter = "BURROW_SCRIPT_" + n;
        }
        return "f=$(mktemp /tmp/burrow-run.XXXXXX) || exit 1\n"
                + "cat > \"$f\" <<'" + delimiter + "'\n" + body + delimiter + "\n"
                + "chmod 0700 \"$f\" && \"$f\"; rc=$?; rm -f \"$f\"; exit $rc";
    }
}
