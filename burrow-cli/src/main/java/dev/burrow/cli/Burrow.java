package dev.burrow.cli;

import dev.burrow.cli.internal.AdminCommands;
import dev.burrow.cli.internal.BaseCommand;
import dev.burrow.cli.internal.BurrowException;
import dev.burrow.cli.internal.CliEnv;
import dev.burrow.cli.internal.ConfigCommand;
import dev.burrow.cli.internal.CpCommand;
import dev.burrow.cli.internal.DaemonCommands;
import dev.burrow.cli.internal.EgressCommand;
import dev.burrow.cli.internal.ExecCommand;
import dev.burrow.cli.internal.ImageCommands;
import dev.burrow.cli.internal.LogsCommand;
import dev.burrow.cli.internal.MicroVmCommands;
import dev.burrow.cli.internal.RegistryCommands;
import dev.burrow.cli.internal.ShellCommand;
import dev.burrow.cli.internal.SystemCommands;
import dev.burrow.cli.internal.TokenCommand;
import dev.burrow.cli.internal.UploadCommand;
import dev.burrow.cli.internal.VersionCommand;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code burrow}: Docker-like verbs over burrowd's REST API (SPEC §4). Exit codes: a command's
 * own for {@code exec}, 125 for a Burrow error, 126 cannot execute, 127 not found.
 */
@Command(name = "burrow",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "Per-session microVMs restored from snapshots.",
        subcommands = {
                DaemonCommands.Up.class,
                DaemonCommands.Down.class,
                DaemonCommands.Daemon.class,
                ConfigCommand.class,
                VersionCommand.class,
                ImageCommands.class,
                UploadCommand.class,
                MicroVmCommands.Run.class,
                MicroVmCommands.Ps.class,
                MicroVmCommands.Inspect.class,
                ExecCommand.class,
                ShellCommand.class,
                MicroVmCommands.Rm.class,
                MicroVmCommands.Suspend.class,
                MicroVmCommands.Resume.class,
                MicroVmCommands.Fork.class,
                LogsCommand.class,
                TokenCommand.class,
                CpCommand.class,
                EgressCommand.class,
                RegistryCommands.class,
                AdminCommands.class,
                SystemCommands.class,
        })
public final class Burrow implements Callable<Integer> {
    /** A Burrow error: bad usage, an API error, burrowd unreachable. */
    public static final int EXIT_ERROR = 125;
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

    /** Runs one command line against the given surroundings and returns the exit code. */
    public static int execute(CliEnv env, String... args) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                K obj = defaults.create(cls);
                if (obj instanceof BaseCommand c) c.init(env);
                return obj;
            }
        };
        CommandLine cmd = new CommandLine(new Burrow(), factory);
        cmd.setOut(new PrintWriter(env.out(), true, StandardCharsets.UTF_8));
        cmd.setErr(new PrintWriter(env.err(), true, StandardCharsets.UTF_8));
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        // like docker exec: options before the id; everything after it is the command (a leading -- is optional)
        cmd.getSubcommands().get("exec").setStopAtPositional(true);
        cmd.getSubcommands().get("shell").setStopAtPositional(true);
        cmd.setParameterExceptionHandler((ex, argv) -> {
            CommandLine c = ex.getCommandLine();
            env.err().println("burrow: " + ex.getMessage());
            env.err().println("See '" + c.getCommandSpec().qualifiedName() + " --help'.");
            env.err().flush();
            return EXIT_ERROR;
        });
        cmd.setExecutionExceptionHandler((ex, c, parseResult) -> {
            String message;
            if (ex instanceof BurrowException be) {
                message = be.getMessage();
            } else if (ex instanceof IllegalArgumentException) {
                message = ex.getMessage();
            } else {
                message = "internal error: " + ex;
                if (env.getenv("BURROW_DEBUG") != null) ex.printStackTrace(env.err());
            }
            env.err().println("burrow: " + message);
            env.err().flush();
            return EXIT_ERROR;
        });
        int code = cmd.execute(args);
        env.out().flush();
        env.err().flush();
        return code;
    }
}
