package dev.burrow.daemon.api;

import dev.burrow.daemon.api.AwsImageShapes.CpuConfiguration;
import dev.burrow.daemon.api.AwsImageShapes.HooksShape;
import dev.burrow.daemon.api.AwsImageShapes.ImageRequest;
import dev.burrow.daemon.api.AwsImageShapes.Logging;
import dev.burrow.daemon.api.AwsImageShapes.MicrovmHooks;
import dev.burrow.daemon.api.AwsImageShapes.MicrovmImageHooks;
import dev.burrow.daemon.aws.Arns;
import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.egress.EgressPolicy;
import dev.burrow.daemon.images.BuildSettings;
import dev.burrow.daemon.images.Hook;
import dev.burrow.daemon.images.Hooks;
import dev.burrow.daemon.images.Resources;
import dev.burrow.daemon.images.builtin.ManagedBase;
import dev.burrow.daemon.images.builtin.ManagedBases;
import dev.burrow.daemon.microvms.RunRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * CreateMicrovmImage and UpdateMicrovmImage requests checked against the model's constraints and
 * Burrow's own ranges, every faulty member reported in one ValidationException, and mapped onto
 * what a Burrow version is built with: the managed base, {@link BuildSettings} (resources, hooks,
 * env) and the builder's network.
 */
final class AwsImageRequests {

    static final int MAX_ENV_VARS = 50;
    static final int MAX_ENV_KEY = 256;
    static final int MAX_ENV_VALUE = 4096;
    static final int MAX_CLIENT_TOKEN = 128;
    static final int MAX_TAG_KEY = 128;
    static final int MAX_TAG_VALUE = 256;
    static final int MAX_STRING = 2048;
    static final int MIN_ROLE_ARN = 20;
    static final int MAX_LOG_NAME = 512;
    /** SPEC §2's memory range: the model has no bounds of its own for minimumMemoryInMiB. */
    static final int MIN_MEMORY_MIB = 128;
    static final int MAX_MEMORY_MIB = 32768;
    static final int MAX_HOOK_TIMEOUT = 60;
    static final int MAX_IMAGE_HOOK_TIMEOUT = 3600;
    static final int MAX_PORT = 65535;

    private static final Pattern NON_BLANK = Pattern.compile("[^\\s]+");
    private static final Pattern ROLE_ARN = Pattern.compile("arn:aws[a-z\\-]*:iam::[0-9]{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+");
    private static final Pattern LOG_GROUP = Pattern.compile("[a-zA-Z0-9_\\-/.#]+");
    private static final Pattern LOG_STREAM = Pattern.compile("[^:*]*");
    private static final Pattern TAG = Pattern.compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");
    /** The one egress connector there is (AWS's names, any region). */
    static final Pattern INTERNET_EGRESS = Pattern.compile("arn:aws:lambda:[a-z0-9-]*:aws:network-connector:aws-network-connector:INTERNET_EGRESS");
    private static final String ENABLED = "ENABLED";
    private static final String DISABLED = "DISABLED";

    /** A valid request in Burrow's terms: the managed base's name, the version's settings, the builder's network. */
    record Mapped(String base, BuildSettings settings, EgressPolicy network) {}

    private AwsImageRequests() {}

    /** The host's architecture in the model's spelling: X86_64 here (the model's enum knows only ARM_64). */
    static String hostArchitecture() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> "X86_64";
            case "aarch64", "arm64" -> "ARM_64";
            default -> arch.toUpperCase(Locale.ROOT);
        };
    }

    /**
     * Checks {@code r} ({@code create}: a CreateMicrovmImage, else an UpdateMicrovmImage) and maps
     * it, or throws one ValidationException naming every faulty member.
     */
    static Mapped map(ImageRequest r, boolean create, String hostArchitecture) {
        List<String> errors = new ArrayList<>();
        if (create) {
            if (r.name() == null) {
                errors.add("name is required");
            } else if (!AwsImageNames.AWS_NAME.matcher(r.name()).matches()) {
                errors.add("name must be 1 to " + AwsImageNames.MAX_AWS_NAME + " characters of [a-zA-Z0-9-_]; got '"
                        + Queries.printable(r.name()) + "'");
            }
            tags(r.tags(), errors);
        } else {
            if (r.name() != null) {
                errors.add("name is not a member of UpdateMicrovmImage: the image is the imageIdentifier in the path");
            }
            if (r.tags() != null) {
                errors.add("tags is not a member of UpdateMicrovmImage: use TagResource");
            }
        }
        String base = base(r.baseImageArn(), errors);
        optional("baseImageVersion", r.baseImageVersion(), errors);
        baseVersion(base, r.baseImageVersion(), errors);
        if (r.buildRoleArn() == null) {
            errors.add("buildRoleArn is required: an IAM role ARN (arn:aws:iam::<account>:role/<name>); Burrow records it and assumes nothing");
        } else if (r.buildRoleArn().length() < MIN_ROLE_ARN || r.buildRoleArn().length() > MAX_STRING
                || !ROLE_ARN.matcher(r.buildRoleArn()).matches()) {
            errors.add("buildRoleArn must be an IAM role ARN matching arn:aws[a-z-]*:iam::[0-9]{12}:role/<name>; got '"
                    + Queries.printable(r.buildRoleArn()) + "'");
        }
        if (r.codeArtifact() == null || r.codeArtifact().uri() == null) {
            errors.add("codeArtifact.uri is required: " + AwsCodeArtifacts.SCHEMES);
        } else {
            optional("codeArtifact.uri", r.codeArtifact().uri(), errors);
        }
        logging(r.logging(), errors);
        EgressPolicy network = network(r.egressNetworkConnectors(), errors);
        cpus(r.cpuConfigurations(), hostArchitecture, errors);
        Resources resources = resources(r.resources(), errors);
        if (r.additionalOsCapabilities() != null) {
            for (int i = 0; i < r.additionalOsCapabilities().size(); i++) {
                if (!"ALL".equals(r.additionalOsCapabilities().get(i))) {
                    errors.add("additionalOsCapabilities[" + i + "] must be ALL; got '" + Queries.printable(r.additionalOsCapabilities().get(i)) + "'");
                }
            }
        }
        Hooks hooks = hooks(r.hooks(), errors);
        env(r.environmentVariables(), errors);
        if (r.clientToken() != null && (r.clientToken().isEmpty() || r.clientToken().length() > MAX_CLIENT_TOKEN)) {
            errors.add("clientToken must be 1 to " + MAX_CLIENT_TOKEN + " characters; got " + r.clientToken().length());
        }
        if (!errors.isEmpty()) {
            throw AwsError.validation(errors.size() == 1 ? errors.getFirst()
                    : errors.size() + " validation errors detected: " + String.join("; ", errors));
        }
        BuildSettings settings = new BuildSettings(resources, hooks, null, null, r.environmentVariables(), null, null, null);
        return new Mapped(base, settings, network);
    }

    /** The managed base {@code baseImageArn} names: its ARN (any region, account aws) or its bare name. */
    private static String base(String arn, List<String> errors) {
        String known = String.join(", ", ManagedBases.select("").stream().map(ManagedBase::name).toList());
        if (arn == null) {
            errors.add("baseImageArn is required: a managed base (" + known + ") as arn:aws:lambda:<region>:aws:microvm-image:<base> or its name");
            return null;
        }
        String name = arn;
        if (arn.startsWith("arn:")) {
            Arns.ImageArn parsed = Arns.parseImage(arn);
            if (parsed == null || !parsed.managed()) {
                errors.add("baseImageArn must name a managed base image, arn:aws:lambda:<region>:aws:microvm-image:<base>; got '"
                        + Queries.printable(arn) + "'");
                return null;
            }
            name = parsed.name();
        }
        if (ManagedBases.named(name).isEmpty()) {
            errors.add("baseImageArn names no managed base: '" + Queries.printable(name) + "'; this host has " + known);
            return null;
        }
        return name;
    }

    /**
     * A base version, when given, must be the one this host builds: its recipe version, as
     * {@code 1} or {@code r1} (a managed base's layout is made from its current recipe only).
     */
    private static void baseVersion(String base, String version, List<String> errors) {
        if (base == null || version == null || !NON_BLANK.matcher(version).matches()) {
            return;
        }
        int recipe = ManagedBases.named(base).orElseThrow().recipeVersion();
        if (!version.equals(Integer.toString(recipe)) && !version.equals("r" + recipe)) {
            errors.add("baseImageVersion: this host builds " + base + " at version " + recipe + " only; got '"
                    + Queries.printable(version) + "'");
        }
    }

    private static void optional(String field, String value, List<String> errors) {
        if (value != null && (value.length() > MAX_STRING || !NON_BLANK.matcher(value).matches())) {
            errors.add(field + " must be 1 to " + MAX_STRING + " characters without white space; got '" + Queries.printable(value) + "'");
        }
    }

    private static void logging(Logging l, List<String> errors) {
        if (l == null) {
            return;
        }
        if (l.disabled() != null && l.cloudWatch() != null) {
            errors.add("logging takes one of disabled and cloudWatch, not both");
        }
        if (l.disabled() != null && !l.disabled().isEmpty()) {
            errors.add("logging.disabled is an empty structure; got members " + l.disabled().keySet());
        }
        if (l.cloudWatch() != null) {
            String group = l.cloudWatch().logGroup();
            if (group != null && (group.length() > MAX_LOG_NAME || !LOG_GROUP.matcher(group).matches())) {
                errors.add("logging.cloudWatch.logGroup must be 1 to " + MAX_LOG_NAME + " characters of [a-zA-Z0-9_-/.#]");
            }
            String stream = l.cloudWatch().logStream();
            if (stream != null && (stream.isEmpty() || stream.length() > MAX_LOG_NAME || !LOG_STREAM.matcher(stream).matches())) {
                errors.add("logging.cloudWatch.logStream must be 1 to " + MAX_LOG_NAME + " characters without ':' or '*'");
            }
        }
    }

    /** At most one connector, INTERNET_EGRESS: the builder's network is then {@code internet}; none: no network. */
    private static EgressPolicy network(List<String> connectors, List<String> errors) {
        if (connectors == null || connectors.isEmpty()) {
            return EgressPolicy.NONE;
        }
        if (connectors.size() > 1) {
            errors.add("egressNetworkConnectors takes at most 1 connector; got " + connectors.size());
            return EgressPolicy.NONE;
        }
        String c = connectors.getFirst();
        if (!INTERNET_EGRESS.matcher(c).matches()) {
            errors.add("egressNetworkConnectors[0] must be arn:aws:lambda:<region>:aws:network-connector:aws-network-connector:INTERNET_EGRESS; got '"
                    + Queries.printable(c) + "'");
            return EgressPolicy.NONE;
        }
        return new EgressPolicy(EgressPolicy.Mode.INTERNET, List.of());
    }

    private static void cpus(List<CpuConfiguration> cpus, String host, List<String> errors) {
        if (cpus == null) {
            return;
        }
        for (int i = 0; i < cpus.size(); i++) {
            String a = cpus.get(i) == null ? null : cpus.get(i).architecture();
            if (a == null) {
                errors.add("cpuConfigurations[" + i + "].architecture is required: " + host + ", this host's architecture");
            } else if (!a.equals(host)) {
                errors.add("cpuConfigurations[" + i + "].architecture must be " + host + ", this host's architecture; got '"
                        + Queries.printable(a) + "'");
            }
        }
    }

    private static Resources resources(List<AwsImageShapes.ResourcesShape> rs, List<String> errors) {
        if (rs == null || rs.isEmpty()) {
            return Resources.DEFAULT;
        }
        if (rs.size() > 1) {
            errors.add("resources takes at most 1 entry; got " + rs.size());
            return Resources.DEFAULT;
        }
        Integer mem = rs.getFirst().minimumMemoryInMiB();
        if (mem == null) {
            errors.add("resources[0].minimumMemoryInMiB is required");
            return Resources.DEFAULT;
        }
        if (mem < MIN_MEMORY_MIB || mem > MAX_MEMORY_MIB) {
            errors.add("resources[0].minimumMemoryInMiB must be between " + MIN_MEMORY_MIB + " and " + MAX_MEMORY_MIB + "; got " + mem);
            return Resources.DEFAULT;
        }
        return new Resources(Resources.DEFAULT.vcpus(), mem, Resources.DEFAULT.diskMiB());
    }

    private static Hooks hooks(HooksShape h, List<String> errors) {
        if (h == null) {
            return Hooks.NONE;
        }
        int port = Hooks.NONE.port();
        if (h.port() != null) {
            if (h.port() < 1 || h.port() > MAX_PORT) {
                errors.add("hooks.port must be between 1 and " + MAX_PORT + "; got " + h.port());
            } else {
                port = h.port();
            }
        }
        MicrovmImageHooks img = h.microvmImageHooks() == null ? new MicrovmImageHooks(null, null, null, null) : h.microvmImageHooks();
        MicrovmHooks vm = h.microvmHooks() == null ? new MicrovmHooks(null, null, null, null, null, null, null, null) : h.microvmHooks();
        String ip = "hooks.microvmImageHooks.";
        String vp = "hooks.microvmHooks.";
        Hook ready = hook(ip, "ready", img.ready(), img.readyTimeoutInSeconds(), MAX_IMAGE_HOOK_TIMEOUT, errors);
        Hook validate = hook(ip, "validate", img.validate(), img.validateTimeoutInSeconds(), MAX_IMAGE_HOOK_TIMEOUT, errors);
        Hook run = hook(vp, "run", vm.run(), vm.runTimeoutInSeconds(), MAX_HOOK_TIMEOUT, errors);
        Hook resume = hook(vp, "resume", vm.resume(), vm.resumeTimeoutInSeconds(), MAX_HOOK_TIMEOUT, errors);
        Hook suspend = hook(vp, "suspend", vm.suspend(), vm.suspendTimeoutInSeconds(), MAX_HOOK_TIMEOUT, errors);
        Hook terminate = hook(vp, "terminate", vm.terminate(), vm.terminateTimeoutInSeconds(), MAX_HOOK_TIMEOUT, errors);
        return new Hooks(port, ready, validate, run, resume, suspend, terminate);
    }

    /** One hook: ENABLED or DISABLED (absent: disabled), its timeout within 1..max (absent: Burrow's default for it). */
    private static Hook hook(String prefix, String name, String state, Integer timeout, int max, List<String> errors) {
        boolean ok = true;
        if (state != null && !state.equals(ENABLED) && !state.equals(DISABLED)) {
            errors.add(prefix + name + " must be ENABLED or DISABLED; got '" + Queries.printable(state) + "'");
            ok = false;
        }
        if (timeout != null && (timeout < 1 || timeout > max)) {
            errors.add(prefix + name + "TimeoutInSeconds must be between 1 and " + max + "; got " + timeout);
            ok = false;
        }
        Hook def = Hooks.enabled(name, null);
        if (!ok) {
            return Hook.DISABLED;
        }
        return new Hook(ENABLED.equals(state), timeout == null ? def.timeoutSeconds() : timeout);
    }

    /** The model's limits, then Burrow's own rule for names (they become the image's environment). */
    private static void env(Map<String, String> env, List<String> errors) {
        if (env == null) {
            return;
        }
        if (env.size() > MAX_ENV_VARS) {
            errors.add("environmentVariables holds at most " + MAX_ENV_VARS + " variables; got " + env.size());
        }
        env.forEach((k, v) -> {
            if (k.isEmpty() || k.length() > MAX_ENV_KEY) {
                errors.add("environmentVariables: a name must be 1 to " + MAX_ENV_KEY + " characters; got " + k.length());
            } else if (v != null && v.length() > MAX_ENV_VALUE) {
                errors.add("environmentVariables." + Queries.printable(k) + " is longer than " + MAX_ENV_VALUE + " characters");
            }
        });
        RunRequest.envViolations("environmentVariables", env).forEach(v -> errors.add(v.field() + ": " + v.detail()));
    }

    private static void tags(Map<String, String> tags, List<String> errors) {
        if (tags == null) {
            return;
        }
        tags.forEach((k, v) -> {
            if (k.isEmpty() || k.length() > MAX_TAG_KEY || !TAG.matcher(k).matches()) {
                errors.add("tags: key '" + Queries.printable(k) + "' must be 1 to " + MAX_TAG_KEY + " letters, digits, spaces or _.:/=+-@");
            } else if (v.length() > MAX_TAG_VALUE || !TAG.matcher(v).matches()) {
                errors.add("tags." + Queries.printable(k) + " must be at most " + MAX_TAG_VALUE + " letters, digits, spaces or _.:/=+-@");
            }
        });
    }
}
