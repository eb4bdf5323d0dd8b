package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code burrow shell ID [--user U] [--cwd D] [-- CMD…]}: an interactive terminal in a microVM
 * over the PTY WebSocket, the local terminal raw for as long as it runs and restored on every way
 * out. Exits with the remote command's exit code. {@code --web} prints a browser terminal's URL
 * instead, with a short-lived {@code pty} token.
 */
@Command(name = "shell", description = {"Open an interactive terminal in a microVM; exits with the shell's exit code.",
        "Options go before ID or right after it; everything after them (or after --) is the command (default: the user's login shell)."})
public final class ShellCommand extends BaseCommand {

    /** The size of a terminal that is not one (stdin from a pipe or a file). */
    static final int DEFAULT_COLS = 80;
    static final int DEFAULT_ROWS = 24;

    @Parameters(index = "0", paramLabel = "ID", description = "An id or any unique prefix.")
    String id;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "CMD", description = "A command to run instead of the login shell (a leading -- is optional).")
    List<String> cmd = new ArrayList<>();

    @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "The user to run as.")
    String user;

    @Option(names = {"-w", "--cwd"}, paramLabel = "DIR", description = "The working directory.")
    String cwd;

    @Option(names = "--web", description = "Print a browser terminal's URL (with a short-lived pty token) instead.")
    boolean web;

    @Override
    public Integer call() throws IOException {
        takeOptionsAfterId();
        if (!cmd.isEmpty() && cmd.getFirst().equals("--")) {
            cmd = cmd.subList(1, cmd.size());
        }
        String full = IdResolver.resolve(api(), id);
        if (web) {
            return web(full);
        }
        LocalTerminal terminal = localTerminal();
        ShellSession.End end;
        try {
            end = ShellSession.run(terminal, uri(full, terminal.cols(), terminal.rows()), config().apiKey(), status -> refusal(full, status));
        } finally {
            terminal.close();
        }
        if (end.exitCode() != null) {
            return end.exitCode();
        }
        throw new BurrowException(end.reason() == null || end.reason().isEmpty()
                ? "the terminal closed (WebSocket close " + end.closeCode() + ")" : end.reason());
    }

    /** The user's terminal in raw mode; plain streams when stdin is no terminal or JLine cannot drive it. */
    private LocalTerminal localTerminal() {
        if (env.stdinTty()) {
            try {
                return LocalTerminal.system();
            } catch (IOException | RuntimeException e) {
                err().println("burrow: the local terminal cannot be put in raw mode (" + e.getMessage() + "); keys go through as typed");
            }
        }
        return LocalTerminal.streams(env.in(), out(), DEFAULT_COLS, DEFAULT_ROWS);
    }

    private URI uri(String full, int cols, int rows) {
        String base = api().baseUrl().replaceFirst("^http", "ws");
        StringBuilder q = new StringBuilder("?cols=").append(cols).append("&rows=").append(rows);
        cmd.forEach(c -> q.append("&cmd=").append(ApiClient.q(c)));
        if (user != null) {
            q.append("&user=").append(ApiClient.q(user));
        }
        if (cwd != null) {
            q.append("&cwd=").append(ApiClient.q(cwd));
        }
        return URI.create(base + "/v1/microvms/" + ApiClient.seg(full) + "/pty" + q);
    }

    /** Why burrowd refused the handshake, with the microVM's state when that is the reason. */
    private String refusal(String full, int status) {
        return switch (status) {
            case 401 -> "the API key is not valid (revoked or mistyped); see `burrow config --json`";
            case 404 -> "no microVM " + full;
            case 409 -> {
                String state = "";
                try {
                    state = Json.text(api().get("/v1/microvms/" + ApiClient.seg(full)), "state");
                } catch (BurrowException ignored) {
                    // the state is only a hint
                }
                yield state.equals("RUNNING") || state.isEmpty()
                        ? "microVM " + full + " cannot open a terminal (HTTP 409): an image version built with an older agent "
                        + "needs a rebuild (burrow image create … again)"
                        : "microVM " + full + " is " + state + "; resume it first: burrow resume " + full
                        + " (or run it with idlePolicy.autoResume)";
            }
            case 400 -> "burrowd refused the terminal's options (HTTP 400): check --user, --cwd and the command";
            case 429 -> "too many open streams for this tenant (HTTP 429); close some and retry";
            default -> "burrowd refused the terminal (HTTP " + status + ")";
        };
    }

    /**
     * `burrow shell ID --web` (the and SPEC's spelling) and `burrow shell ID -u bob`: no
     * command starts with a dash, so this command's own options right after ID are taken as
     * options; everything from the first other word (or after `--`) is the command.
     */
    private void takeOptionsAfterId() {
        List<String> rest = new ArrayList<>(cmd);
        while (!rest.isEmpty()) {
            String a = rest.getFirst();
            if (a.equals("--web")) {
                web = true;
                rest.removeFirst();
            } else if ((a.equals("-u") || a.equals("--user") || a.equals("-w") || a.equals("--cwd")) && rest.size() > 1) {
                if (a.equals("-u") || a.equals("--user")) {
                    user = rest.get(1);
                } else {
                    cwd = rest.get(1);
                }
                rest.subList(0, 2).clear();
            } else {
                break;
            }
        }
        cmd = rest;
    }

    private int web(String full) {
        JsonNode body = Json.object().put("scope", "pty");
        JsonNode token = api().post("/v1/microvms/" + ApiClient.seg(full) + "/tokens", body);
        // burrowd answers a pty token with the browser terminal's URL: {url}/shell/{id}?token=…
        String url = Json.text(token, "url");
        out().println(url.isEmpty() ? api().baseUrl() + "/shell/" + ApiClient.seg(full) + "?token=" + ApiClient.q(Json.text(token, "token")) : url);
        out().flush();
        return 0;
    }
}
