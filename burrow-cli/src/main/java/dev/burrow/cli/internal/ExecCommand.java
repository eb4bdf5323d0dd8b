package dev.burrow.cli.internal;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code burrow exec ID -- CMD…}: picocli's side of it (help, errors); the work is {@link ExecVerb}'s. */
@Command(name = "exec", description = {"Run a command in a microVM; exits with the command's exit code.",
        "Options go before ID; everything after ID is the command."})
public final class ExecCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "An id or any unique prefix.")
    String id;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (a leading -- is optional).")
    List<String> cmd = new ArrayList<>();

    @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "An environment variable (repeatable).")
    List<String> envs = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "The working directory.")
    String cwd;

    @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "The user to run as.")
    String user;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Kill the command after this long, e.g. 60s.")
    String timeout;

    @Option(names = "--no-stdin", description = "Give the command EOF on stdin even when ours is not a terminal.")
    boolean noStdin;

    @Option(names = "--json", description = "Print the NDJSON lines as they arrive.")
    boolean json;

    @Override
    public Integer call() {
        return new ExecVerb(id, cmd, envs, cwd, user, timeout, noStdin, json).run(context());
    }
}
