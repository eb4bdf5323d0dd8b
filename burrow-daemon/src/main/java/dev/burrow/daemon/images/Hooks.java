package dev.burrow.daemon.images;

/**
 * Lifecycle hooks an image version's application may implement: Burrow calls
 * {@code POST /burrow/v1/<hook>} on {@code port} inside the guest (SPEC §1). Omitted hooks are
 * disabled; ready/validate time out after 1..3600 s (default 30), the others after 1..60 s (default 1).
 */
public record Hooks(int port, Hook ready, Hook validate, Hook run, Hook resume, Hook suspend, Hook terminate) {

    public static final Hooks NONE = new Hooks(9000, Hook.DISABLED, Hook.DISABLED, Hook.DISABLED, Hook.DISABLED, Hook.DISABLED, Hook.DISABLED);

    public Hooks {
        Validation.range("hooks.port", port, 1, 65535);
        check("ready", ready, 3600);
        check("validate", validate, 3600);
        check("run", run, 60);
        check("resume", resume, 60);
        check("suspend", suspend, 60);
        check("terminate", terminate, 60);
    }

    private static void check(String name, Hook h, int max) {
        if (h == null) {
            throw new InvalidRequestException("hooks." + name, "hooks." + name + " must be given (use {\"enabled\": false} to disable it)");
        }
        Validation.range("hooks." + name + ".timeoutSeconds", h.timeoutSeconds(), 1, max);
    }

    /** True when at least one hook is enabled (only then is {@link #port} the hooks server's). */
    public boolean anyEnabled() {
        return ready.enabled() || validate.enabled() || run.enabled() || resume.enabled() || suspend.enabled() || terminate.enabled();
    }

    public static Hook enabled(String name, Integer timeoutSeconds) {
        int def = name.equals("ready") || name.equals("validate") ? 30 : 1;
        return new Hook(true, timeoutSeconds == null ? def : timeoutSeconds);
    }

    public Hooks withReady(Hook h) {
        return new Hooks(port, h, validate, run, resume, suspend, terminate);
    }

    public Hooks withValidate(Hook h) {
        return new Hooks(port, ready, h, run, resume, suspend, terminate);
    }

    public Hooks withPort(int p) {
        return new Hooks(p, ready, validate, run, resume, suspend, terminate);
    }
}
