package dev.burrow.cli.internal;

/**
 * What a verb's work needs: the surroundings, and the client config and API client made on
 * first use. Free of picocli, so the verbs the fast path runs ({@link HotVerbs}) stay in the
 * CLI's AOT cache; picocli's commands reach the same through {@link BaseCommand}.
 */
public final class VerbContext {
    private final CliEnv env;
    private ClientConfig config;
    private ApiClient api;

    public VerbContext(CliEnv env) {
        this.env = env;
    }

    public CliEnv env() {
        return env;
    }

    public ClientConfig config() {
        if (config == null) config = ClientConfig.load(env);
        return config;
    }

    public ApiClient api() {
        if (api == null) api = ApiClient.from(config());
        return api;
    }
}
