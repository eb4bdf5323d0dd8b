package dev.burrow.cli.internal;

import java.io.PrintStream;
import java.util.LinkedHashMap;
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

    private ClientConfig config;
    private ApiClient api;

    public void init(CliEnv env) {
        this.env = env;
    }

    protected ClientConfig config() {
        if (config == null) config = ClientConfig.load(env);
        return config;
    }

    protected ApiClient api() {
        if (api == null) api = ApiClient.from(config());
        return api;
    }

    protected PrintStream out() {
        return env.out();
    }

    protected PrintStream err() {
        return env.err();
    }

    /** {@code K=V} pairs into a map, naming the flag when one has no {@code =}. */
    protected static Map<String, String> pairs(List<String> items, String flag) {
        Map<String, String> map = new LinkedHashMap<>();
        if (items == null) return map;
        for (String item : items) {
            int eq = item.indexOf('=');
            if (eq <= 0) throw new BurrowException(flag + " expects KEY=VALUE; got '" + item + "'");
            map.put(item.substring(0, eq), item.substring(eq + 1));
        }
        return map;
    }

    /** Sizes and durations with the flag's name in the error. */
    protected static long mib(String flag, String value) {
        try {
            return Units.parseMiB(value);
        } catch (IllegalArgumentException e) {
            throw new BurrowException(flag + ": " + e.getMessage());
        }
    }

    protected static long seconds(String flag, String value) {
        try {
            return Units.parseSeconds(value);
        } catch (IllegalArgumentException e) {
            throw new BurrowException(flag + ": " + e.getMessage());
        }
    }
}
