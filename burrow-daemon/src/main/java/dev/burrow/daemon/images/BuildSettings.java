package dev.burrow.daemon.images;

import java.util.List;
import java.util.Map;

/**
 * What a version is built with. Null fields are "not given": a new version inherits them from
 * the previous version, and the first version falls back to the image's own config and to
 * SPEC defaults ({@link #effective}). {@code standby} is how many microVMs of the version the
 * daemon keeps restored and paused ahead of runs (docs/standby.md): 0 to {@link #MAX_STANDBY}.
 */
public record BuildSettings(Resources resources, Hooks hooks, List<String> entrypoint, List<String> cmd,
                            Map<String, String> env, String workdir, String user, Integer ingressPort, Integer standby) {

    /** The most standbys one version may ask for; the daemon's memory budget may keep fewer. */
    public static final int MAX_STANDBY = 8;

    public static final BuildSettings NONE = new BuildSettings(null, null, null, null, null, null, null, null, null);

    /** Settings that say nothing about standbys (inherited, or none). */
    public BuildSettings(Resources resources, Hooks hooks, List<String> entrypoint, List<String> cmd,
                         Map<String, String> env, String workdir, String user, Integer ingressPort) {
        this(resources, hooks, entrypoint, cmd, env, workdir, user, ingressPort, null);
    }

    public BuildSettings {
        if (standby != null) {
            Validation.range("standby", standby, 0, MAX_STANDBY);
        }
        entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
        cmd = cmd == null ? null : List.copyOf(cmd);
        env = env == null ? null : Map.copyOf(env);
        if (ingressPort != null) {
            Validation.range("ingressPort", ingressPort, 1, 65535);
        }
        if (env != null) {
            env.keySet().forEach(k -> {
                if (k.isEmpty() || k.contains("=")) {
                    throw new InvalidRequestException("env", "env names must be non-empty and contain no '=': '" + k + "'");
                }
            });
        }
    }

    /** These settings with every field not given here taken from {@code previous}. */
    public BuildSettings over(BuildSettings previous) {
        return new BuildSettings(
                resources != null ? resources : previous.resources,
                hooks != null ? hooks : previous.hooks,
                entrypoint != null ? entrypoint : previous.entrypoint,
                cmd != null ? cmd : previous.cmd,
                env != null ? env : previous.env,
                workdir != null ? workdir : previous.workdir,
                user != null ? user : previous.user,
                ingressPort != null ? ingressPort : previous.ingressPort,
                standby != null ? standby : previous.standby);
    }

    /** Every field filled: the given settings over SPEC defaults (the image's own config fills entrypoint/cmd/env/workdir/user at build time). */
    public BuildSettings withDefaults() {
        return over(new BuildSettings(Resources.DEFAULT, Hooks.NONE, null, null, null, null, null, 8080, 0));
    }

    public BuildSettings withResources(Resources r) {
        return new BuildSettings(r, hooks, entrypoint, cmd, env, workdir, user, ingressPort, standby);
    }

    public BuildSettings withHooks(Hooks h) {
        return new BuildSettings(resources, h, entrypoint, cmd, env, workdir, user, ingressPort, standby);
    }

    public BuildSettings withEntrypoint(List<String> e) {
        return new BuildSettings(resources, hooks, e, cmd, env, workdir, user, ingressPort, standby);
    }

    public BuildSettings withCmd(List<String> c) {
        return new BuildSettings(resources, hooks, entrypoint, c, env, workdir, user, ingressPort, standby);
    }

    public BuildSettings withStandby(int n) {
        return new BuildSettings(resources, hooks, entrypoint, cmd, env, workdir, user, ingressPort, n);
    }

    /** The standbys asked for: 0 when not given. */
    public int standbyCount() {
        return standby == null ? 0 : standby;
    }
}
