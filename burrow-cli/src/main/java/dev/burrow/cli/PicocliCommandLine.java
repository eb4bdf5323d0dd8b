package dev.burrow.cli;

import dev.burrow.cli.internal.AdminCommands;
import dev.burrow.cli.internal.BaseCommand;
import dev.burrow.cli.internal.CliEnv;
import dev.burrow.cli.internal.ConfigCommand;
import dev.burrow.cli.internal.CpCommand;
import dev.burrow.cli.internal.DaemonCommands;
import dev.burrow.cli.internal.EgressCommand;
import dev.burrow.cli.internal.ExecCommand;
import dev.burrow.cli.internal.Failures;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;

/**
 * Every verb as picocli parses it: the help, the usage errors and the verbs the CLI's own parser
 * does not take. Kept out of {@link Burrow} so that class verifies without loading picocli,
 * whose Java 5 classes no AOT cache can hold: the hot verbs never come here.
 */
final class PicocliCommandLine {
    /**
     * The verbs, by name, in the order {@code burrow --help} lists them. picocli builds a verb's
     * model by reflection over its annotations, hundreds of milliseconds for all of them
     * (docs/adr/0034), so a command line naming one verb registers that verb alone; anything else
     * (no verb, {@code --help}, a mistyped verb that picocli should suggest a fix for) registers
     * all. Each name must be its class's {@code @Command} name (BurrowTest checks).
     */
    static final Map<String, Class<?>> VERBS = verbs(
            "up", DaemonCommands.Up.class,
            "down", DaemonCommands.Down.class,
            "daemon", DaemonCommands.Daemon.class,
            "config", ConfigCommand.class,
            "version", VersionCommand.class,
            "image", ImageCommands.class,
            "upload", UploadCommand.class,
            "run", MicroVmCommands.Run.class,
            "ps", MicroVmCommands.Ps.class,
            "inspect", MicroVmCommands.Inspect.class,
            "exec", ExecCommand.class,
            "shell", ShellCommand.class,
            "rm", MicroVmCommands.Rm.class,
            "suspend", MicroVmCommands.Suspend.class,
            "resume", MicroVmCommands.Resume.class,
            "fork", MicroVmCommands.Fork.class,
            "logs", LogsCommand.class,
            "token", TokenCommand.class,
            "cp", CpCommand.class,
            "egress", EgressCommand.class,
            "registry", RegistryCommands.class,
            "admin", AdminCommands.class,
            "system", SystemCommands.class);

    /** The verbs that take everything after their ID as a command, like docker exec. */
    private static final Set<String> STOP_AT_POSITIONAL = Set.of("exec", "shell");

    private static Map<String, Class<?>> verbs(Object... nameThenClass) {
        Map<String, Class<?>> map = new LinkedHashMap<>();
        for (int i = 0; i < nameThenClass.length; i += 2) {
            map.put((String) nameThenClass[i], (Class<?>) nameThenClass[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }

    private PicocliCommandLine() {}

    /** Parses and runs the command line, whatever the verb, and answers the exit code. */
    static int execute(CliEnv env, String... args) {
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
        String named = args.length > 0 && VERBS.containsKey(args[0]) ? args[0] : null;
        VERBS.forEach((name, cls) -> {
            if (named == null || named.equals(name)) cmd.addSubcommand(name, cls);
        });
        cmd.setOut(new PrintWriter(env.out(), true, StandardCharsets.UTF_8));
        cmd.setErr(new PrintWriter(env.err(), true, StandardCharsets.UTF_8));
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        // like docker exec: options before the id; everything after it is the command (a leading -- is optional)
        cmd.getSubcommands().forEach((name, sub) -> {
            if (STOP_AT_POSITIONAL.contains(name)) sub.setStopAtPositional(true);
        });
        cmd.setParameterExceptionHandler((ex, argv) -> {
            CommandLine c = ex.getCommandLine();
            env.err().println("burrow: " + ex.getMessage());
            env.err().println("See '" + c.getCommandSpec().qualifiedName() + " --help'.");
            env.err().flush();
            return Failures.EXIT_ERROR;
        });
        cmd.setExecutionExceptionHandler((ex, c, parseResult) -> Failures.report(env, ex));
        int code = cmd.execute(args);
        env.out().flush();
        env.err().flush();
        return code;
    }
}
