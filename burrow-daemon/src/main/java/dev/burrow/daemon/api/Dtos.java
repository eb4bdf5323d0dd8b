package dev.burrow.daemon.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.burrow.daemon.egress.EgressPolicy;
import dev.burrow.daemon.images.BuildSettings;
import dev.burrow.daemon.images.Hook;
import dev.burrow.daemon.images.Hooks;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.Resources;
import dev.burrow.daemon.microvms.lifecycle.IdlePolicy;
import dev.burrow.daemon.microvms.lifecycle.PolicyJson;
import dev.burrow.daemon.space.PruneReport;
import dev.burrow.daemon.space.SpaceReport;
import dev.burrow.daemon.store.MicroVmRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Request and response bodies exactly as docs/API.md shows them. */
final class Dtos {

    private Dtos() {}

    /**
     * {@code ref} and {@code platform} are a {@code registry} source's; {@code buildArgs},
     * {@code target}, {@code noCache} and {@code network} a {@code dockerfile} source's (its
     * context is the upload {@code uploadId}).
     */
    record SourceDto(String type, String uploadId, String path, String format, String ref, String platform,
                     Map<String, String> buildArgs, String target, Boolean noCache, Map<String, Object> network) {}

    record ResourcesDto(Integer vcpus, Integer memoryMiB, Integer diskMiB) {
        Resources toResources() {
            return new Resources(vcpus == null ? Resources.DEFAULT.vcpus() : vcpus,
                    memoryMiB == null ? Resources.DEFAULT.memoryMiB() : memoryMiB,
                    diskMiB == null ? Resources.DEFAULT.diskMiB() : diskMiB);
        }
    }

    record HookDto(Boolean enabled, Integer timeoutSeconds) {}

    record HooksDto(Integer port, HookDto ready, HookDto validate, HookDto run, HookDto resume, HookDto suspend, HookDto terminate) {
        Hooks toHooks() {
            return new Hooks(port == null ? 9000 : port, hook("ready", ready), hook("validate", validate), hook("run", run),
                    hook("resume", resume), hook("suspend", suspend), hook("terminate", terminate));
        }

        /** An omitted hook is disabled; one given as an object is enabled unless it says {@code enabled: false} (OpenAPI {@code Hook}). */
        private static Hook hook(String name, HookDto d) {
            if (d == null || Boolean.FALSE.equals(d.enabled())) {
                return Hook.DISABLED;
            }
            return Hooks.enabled(name, d.timeoutSeconds());
        }
    }

    record CreateImage(String name, SourceDto source, ResourcesDto resources, HooksDto hooks, List<String> entrypoint,
                       List<String> cmd, Map<String, String> env, String workdir, String user, Integer ingressPort,
                       Integer standby) {
        BuildSettings settings() {
            return new BuildSettings(resources == null ? null : resources.toResources(), hooks == null ? null : hooks.toHooks(),
                    entrypoint, cmd, env, workdir, user, ingressPort, standby);
        }
    }

    record VersionSummary(int version, String state, String status) {}

    record ImageView(String name, @com.fasterxml.jackson.annotation.JsonProperty("public") boolean isPublic, Instant createdAt, int latestVersion, List<VersionSummary> versions) {}

    record EntrypointView(String state, Integer exitCode, Instant exitedAt) {}

    record VersionView(String image, int version, String state, String stateReason, String status, String source,
                       Instant createdAt, Instant updatedAt, Resources resources, Hooks hooks, List<String> entrypoint,
                       List<String> cmd, Map<String, String> env, String workdir, String user, Integer ingressPort,
                       int standby, EntrypointView entrypointStatus, Map<String, Long> buildPhasesMillis) {

        static VersionView of(ImageVersion v) {
            BuildSettings s = v.settings();
            return new VersionView(v.image(), v.version(), v.state().name(), v.stateReason(), v.active() ? "ACTIVE" : "INACTIVE",
                    v.source(), v.createdAt(), v.updatedAt(), s.resources(), s.hooks(), s.entrypoint(), s.cmd(), s.env(),
                    s.workdir(), s.user(), s.ingressPort(), s.standbyCount(),
                    new EntrypointView(v.entrypoint().state().name(), v.entrypoint().exitCode(), v.entrypoint().exitedAt()),
                    v.phasesMillis());
        }
    }

    record RunMicroVm(String image, Integer version, Integer maxDurationSeconds, Map<String, String> env,
                      Map<String, String> labels, Map<String, Object> idlePolicy, String runHookPayload,
                      Map<String, Object> network, @com.fasterxml.jackson.annotation.JsonProperty("wait") Boolean waitForRunHook) {}

    record MicroVmView(String id, String image, int version, String state, String stateReason, Instant createdAt,
                       Instant updatedAt, Instant expiresAt, Map<String, String> labels, Resources resources,
                       Map<String, Object> network, IdlePolicyView idlePolicy, SuspensionView suspension) {
        static MicroVmView of(MicroVmRecord r, Resources resources) {
            IdlePolicy p = PolicyJson.read(r.idlePolicy());
            SuspensionView s = "SUSPENDED".equals(r.state()) && r.suspendedAt() != null
                    ? new SuspensionView(r.suspensionTier() == null ? "disk" : r.suspensionTier(), r.suspendedAt(),
                            r.suspensionBytes() == null ? 0 : r.suspensionBytes())
                    : null;
            return new MicroVmView(r.id(), r.image(), r.version(), r.state(), r.stateReason(), r.createdAt(), r.updatedAt(),
                    r.expiresAt(), r.labels(), resources, EgressPolicy.fromJson(r.network()).view(),
                    p == null ? null : new IdlePolicyView(p.maxIdleSeconds(), p.suspendedSeconds(), p.autoResume()), s);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record IdlePolicyView(int maxIdleSeconds, Integer suspendedSeconds, boolean autoResume) {}

    record SuspensionView(String tier, Instant since, long bytes) {}

    record ForkBody(Integer count) {}

    record ExecBody(List<String> cmd, Map<String, String> env, String cwd, String user, String stdinMode, String stdin,
                    Integer timeoutSeconds, Boolean detach) {}

    record SignalBody(String signal) {}

    record MoveBody(String from, String to) {}

    record ListOf<T>(List<T> items, String nextCursor) {}

    /** One category of {@code GET /v1/system/df}. */
    record SpaceCategoryView(String name, long count, long bytes, long reclaimableCount, long reclaimableBytes) {}

    /** {@code GET /v1/system/df}: every category in a fixed order, allocated bytes. */
    record SpaceView(List<SpaceCategoryView> categories, long totalBytes, long reclaimableBytes) {
        static SpaceView of(SpaceReport r) {
            List<SpaceCategoryView> cs = r.categories().entrySet().stream().map(e -> new SpaceCategoryView(e.getKey().id(),
                    e.getValue().count(), e.getValue().bytes(), e.getValue().reclaimableCount(), e.getValue().reclaimableBytes())).toList();
            return new SpaceView(cs, r.totalBytes(), r.reclaimableBytes());
        }
    }

    /** One category of {@code POST /v1/system/prune}'s answer. */
    record FreedView(String name, long count, long bytes) {}

    /** {@code POST /v1/system/prune}: what went, per category and in total, and what was left for later and why. */
    record PruneView(List<FreedView> freed, long totalCount, long totalBytes, int cacheEntriesForgotten, List<String> deferred) {
        static PruneView of(PruneReport r) {
            List<FreedView> fs = r.freed().entrySet().stream()
                    .map(e -> new FreedView(e.getKey().id(), e.getValue().count(), e.getValue().bytes())).toList();
            return new PruneView(fs, r.totalCount(), r.totalBytes(), r.cacheEntriesForgotten(), r.deferred());
        }
    }
}
