package dev.burrow.cli.internal;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What every verb shares: the surroundings, the client config and an API client. */
public abstract class BaseCommand implements Callable<Integer> {
    protected CliEnv env;

    @Spec
    protected CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    private VerbContext context;

    public void init(CliEnv env) {
        this.env = env;
        this.context = new VerbContext(env);
    }

    /** The config and API client, shared with the picocli-free verbs this command hands its work to. */
    protected VerbContext context() {
        return context;
    }

    protected ClientConfig config() {
        return context.config();
    }

    protected ApiClient api() {
        return context.api();
    }

    protected PrintStream out() {
        return env.out();
    }

    protected PrintStream err() {
        return env.err();
    }

    /** {@code K=V} pairs into a map, naming the flag when one has no {@code =}. */
    protected static Map<String, String> pairs(List<String> items, String flag) {
        return Args.pairs(items, flag);
    }

    /** Sizes and durations with the flag's name in the error. */
    protected static long mib(String flag, String value) {
        return Args.mib(flag, value);
    }

    protected static long seconds(String flag, String value) {
        return Args.seconds(flag, value);
    }
}
