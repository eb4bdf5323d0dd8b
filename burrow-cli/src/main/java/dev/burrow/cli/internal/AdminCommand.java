package dev.burrow.cli.internal;

import java.nio.file.Path;

/**
 * A verb that needs the admin key ({@link AdminKey}) rather than the client config's key: a 403
 * or 401 from burrowd is told in terms of that key.
 */
public abstract class AdminCommand extends BaseCommand {
    private Path dataDir;
    private ApiClient admin;

    @Override
    public final Integer call() {
        try {
            return run();
        } catch (BurrowException e) {
            throw AdminKey.explain(e, dataDir());
        }
    }

    protected abstract Integer run();

    private Path dataDir() {
        if (dataDir == null) dataDir = DaemonCommands.Setup.resolve(env, config()).dataDir();
        return dataDir;
    }

    /** burrowd's API with the admin key. */
    protected ApiClient adminApi() {
        if (admin == null) admin = new ApiClient(config().url(), AdminKey.require(env, dataDir()));
        return admin;
    }
}
