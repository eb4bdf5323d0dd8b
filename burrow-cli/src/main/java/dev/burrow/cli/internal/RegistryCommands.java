package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Console;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code burrow registry login|logout|ls}: the tenant's registry logins (SPEC §4). A secret is
 * read from stdin or a prompt without echo, never from the command line (where {@code ps} and
 * shell history would keep it), and is never printed back.
 */
@Command(name = "registry", description = "Log in to and out of image registries (secrets are write-only).",
        subcommands = {RegistryCommands.Login.class, RegistryCommands.Logout.class, RegistryCommands.Ls.class})
public final class RegistryCommands extends BaseCommand {
    static final String PATH = "/v1/registries";
    /** The longest secret read from stdin (burrowd accepts 16 KiB). */
    static final int MAX_SECRET_BYTES = 16 * 1024;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing subcommand: login, logout or ls");
    }

    @Command(name = "login", description = "Store a login for HOST (host[:port]): a user and password, or a token.")
    public static final class Login extends BaseCommand {
        @Parameters(index = "0", paramLabel = "HOST")
        String host;

        @Option(names = {"-u", "--username"}, paramLabel = "USER")
        String username;

        static final class Secret {
            @Option(names = "--password-stdin", description = "Read the password from stdin.")
            boolean password;

            @Option(names = "--token-stdin", description = "Read a bearer token from stdin (no user name).")
            boolean token;
        }

        @ArgGroup(exclusive = true)
        Secret secret;

        @Override
        public Integer call() {
            boolean token = secret != null && secret.token;
            boolean fromStdin = secret != null;
            if (token && username != null) {
                throw new BurrowException("--token-stdin takes no --username: a token is the whole credential");
            }
            ObjectNode body = Json.object();
            if (token) {
                body.put("token", readStdin("token"));
            } else {
                String user = username;
                String password;
                if (fromStdin) {
                    if (user == null) throw new BurrowException("--password-stdin needs --username");
                    password = readStdin("password");
                } else {
                    Console console = env.stdinTty() ? System.console() : null;
                    if (console == null) {
                        throw new BurrowException("no terminal to ask for the password on: use --password-stdin (with -u) or --token-stdin");
                    }
                    if (user == null) user = console.readLine("Username: ");
                    char[] typed = console.readPassword("Password: ");
                    if (user == null || typed == null) throw new BurrowException("login cancelled");
                    password = new String(typed);
                }
                body.put("username", user);
                body.put("password", password);
            }
            JsonNode stored = api().put(PATH + "/" + ApiClient.seg(host), body);
            out().println("Login for " + Json.text(stored, "host") + " stored ("
                    + (Json.text(stored, "kind").equals("token") ? "token" : "user " + Json.text(stored, "username")) + ")");
            return 0;
        }

        /** The secret from stdin: bounded, one trailing newline dropped (echo and files end with one). */
        private String readStdin(String what) {
            byte[] bytes;
            try {
                bytes = env.in().readNBytes(MAX_SECRET_BYTES + 1);
            } catch (IOException e) {
                throw new BurrowException("cannot read the " + what + " from stdin: " + e.getMessage(), e);
            }
            if (bytes.length > MAX_SECRET_BYTES) {
                throw new BurrowException("the " + what + " on stdin is longer than " + MAX_SECRET_BYTES + " bytes");
            }
            String s = new String(bytes, StandardCharsets.UTF_8);
            if (s.endsWith("\r\n")) {
                s = s.substring(0, s.length() - 2);
            } else if (s.endsWith("\n")) {
                s = s.substring(0, s.length() - 1);
            }
            if (s.isEmpty()) throw new BurrowException("no " + what + " on stdin");
            return s;
        }
    }

    @Command(name = "logout", description = "Forget the login for HOST.")
    public static final class Logout extends BaseCommand {
        @Parameters(index = "0", paramLabel = "HOST")
        String host;

        @Override
        public Integer call() {
            api().delete(PATH + "/" + ApiClient.seg(host));
            out().println("Login for " + host + " removed");
            return 0;
        }
    }

    @Command(name = "ls", description = "List the registries this tenant has logins for (never the secrets).")
    public static final class Ls extends BaseCommand {
        @Option(names = "--json", description = "Print the logins as a JSON array.")
        boolean json;

        @Override
        public Integer call() {
            List<JsonNode> items = api().listAll(PATH);
            if (json) {
                out().println(Json.pretty(ImageCommands.array(items)));
                return 0;
            }
            Table t = new Table("HOST", "KIND", "USERNAME", "UPDATED");
            Instant now = Instant.now();
            for (JsonNode r : items) {
                t.row(Json.text(r, "host"), Json.text(r, "kind"), Json.text(r, "username"), Table.ago(Json.text(r, "updatedAt"), now));
            }
            t.print(out());
            return 0;
        }
    }
}
