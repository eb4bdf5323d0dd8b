package dev.burrow.cli;

import dev.burrow.cli.internal.CliEnv;
import dev.burrow.cli.internal.Failures;
import dev.burrow.cli.internal.HotVerb;
import dev.burrow.cli.internal.HotVerbs;
import dev.burrow.cli.internal.VerbContext;
import dev.burrow.cli.internal.VersionCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code burrow}: Docker-like verbs over burrowd's REST API (SPEC §4). Exit codes: a command's
 * own for {@code exec}, 125 for a Burrow error, 126 cannot execute, 127 not found. Also
 * picocli's top-level command; picocli itself is only reached through {@link PicocliCommandLine},
 * so the hot verbs start without loading it.
 */
@Command(name = "burrow",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "Per-session microVMs restored from snapshots.")
public final class Burrow implements Callable<Integer> {
    /** A Burrow error: bad usage, an API error, burrowd unreachable. */
    public static final int EXIT_ERROR = Failures.EXIT_ERROR;
    /** The command cannot be executed. */
    public static final int EXIT_CANNOT_EXECUTE = 126;
    /** The command was not found. */
    public static final int EXIT_NOT_FOUND = 127;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_ERROR;
    }

    public static void main(String[] args) {
        int code = execute(CliEnv.system(), args);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /**
     * Runs one command line against the given surroundings and returns the exit code. The hot
     * verbs' plain command lines go to {@link HotVerbs}, which never loads picocli; everything
     * else (help, other verbs, any usage error) to picocli.
     */
    public static int execute(CliEnv env, String... args) {
        HotVerb hot = HotVerbs.parse(args);
        return hot != null ? runHot(env, hot) : executeWithPicocli(env, args);
    }

    private static int runHot(CliEnv env, HotVerb verb) {
        int code;
        try {
            code = verb.run(new VerbContext(env));
        } catch (RuntimeException e) {
            code = Failures.report(env, e);
        }
        env.out().flush();
        env.err().flush();
        return code;
    }

    /** The command line as picocli parses and runs it, whatever the verb (tests compare it with {@link HotVerbs}'). */
    static int executeWithPicocli(CliEnv env, String... args) {
        return PicocliCommandLine.execute(env, args);
    }
}
