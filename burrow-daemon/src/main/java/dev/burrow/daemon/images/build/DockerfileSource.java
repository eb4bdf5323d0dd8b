package dev.burrow.daemon.images.build;

import dev.burrow.daemon.egress.Egress;
import dev.burrow.daemon.images.BuildVmIds;
import dev.burrow.daemon.images.ImageSourceSpec;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.RegistryPuller;
import dev.burrow.daemon.images.Resources;
import dev.burrow.daemon.images.SourceContext;
import dev.burrow.daemon.images.SourceResolver;
import dev.burrow.daemon.images.build.internal.BaseResolver;
import dev.burrow.daemon.images.build.internal.BuildFiles;
import dev.burrow.daemon.images.build.internal.BuilderVm;
import dev.burrow.daemon.images.build.internal.DockerfileBuild;
import dev.burrow.daemon.images.build.internal.EngineBuilderVm;
import dev.burrow.daemon.images.build.internal.FrontEndFiles;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.dockerfile.ContextLimits;
import dev.burrow.vmm.Hypervisor;
import java.io.IOException;
import java.util.Objects;

/**
 * Resolves {@code dockerfile} sources: builds the context's Dockerfile into an image in the shared
 * blob store ({@link DockerfileBuild}), with the tenant's layer cache and a builder microVM per
 * stage that runs a {@code RUN}.
 */
public final class DockerfileSource implements SourceResolver {
    /** Longest engine id (SPEC §0: a DNS label of at most 40 characters), less room for {@code -<stage>}. */
    static final int MAX_ID = 36;

    private final BuildCache cache;
    private final BuildFiles files;
    private final BuilderVm.Factory vms;
    private final RegistryPuller registry;
    private final ImageLookup images;
    private final BaseImages bases;
    private final DockerfileSettings settings;

    /**
     * @param registry pulls {@code FROM host/repo:tag} (null: such a FROM fails saying so)
     * @param images the tenant's and public Burrow images for {@code FROM name[:version]}
     * @param bases the managed bases, the last place a name is looked up
     */
    public DockerfileSource(BuildCache cache, BuildFiles files, BuilderVm.Factory vms, RegistryPuller registry, ImageLookup images,
            BaseImages bases, DockerfileSettings settings) {
        this.cache = Objects.requireNonNull(cache, "cache");
        this.files = Objects.requireNonNull(files, "files");
        this.vms = Objects.requireNonNull(vms, "vms");
        this.registry = registry;
        this.images = Objects.requireNonNull(images, "images");
        this.bases = Objects.requireNonNull(bases, "bases");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * The daemon's resolver: contexts read by the Dockerfile front end, builder microVMs on
     * {@code engine} whose egress (the source's {@code network}) {@code egress} serves and
     * records, as it does a microVM's.
     */
    public static DockerfileSource onEngine(Hypervisor engine, Egress egress, BuildCache cache, RegistryPuller registry,
            ImageLookup images, BaseImages bases, DockerfileSettings settings) {
        return new DockerfileSource(cache, new FrontEndFiles(ContextLimits.DEFAULT), EngineBuilderVm.factory(engine, egress, egress.decisions()),
                registry, images, bases, settings);
    }

    @Override
    public Descriptor resolve(ImageSourceSpec source, SourceContext ctx) throws SourceFailure, IOException, InterruptedException {
        if (!(source instanceof ImageSourceSpec.Dockerfile d)) {
            throw new IllegalArgumentException("not a dockerfile source: " + source);
        }
        ImageVersion v = ctx.version();
        Resources res = v.settings() == null || v.settings().resources() == null ? Resources.DEFAULT : v.settings().resources();
        BaseResolver.Puller puller = registry == null ? null : (ref, platform) -> registry.pull(ctx.tenant(), ref, platform, ctx.log());
        DockerfileBuild.Inputs in = new DockerfileBuild.Inputs(ctx.tenant(), builderId(ctx.tenant(), v.image(), v.version()), res,
                d.network(), d.buildArgs(), d.target(), d.noCache(), ctx.workDir(), ctx.log());
        DockerfileBuild.Tools tools = new DockerfileBuild.Tools(ctx.blobs(), cache, files, vms,
                new BaseResolver(ctx.tenant(), puller, images, bases), settings);
        return new DockerfileBuild(in, tools).run(d.context());
    }

    /**
     * The builder microVM's id (before {@code -<stage>}): {@code bld-<hash>-<version>-<image>}, cut
     * to fit. The hash covers tenant, image and version, so no two builds share an id, and it
     * differs from the version's own build microVM ({@code build-…}).
     */
    static String builderId(String tenant, String image, int version) {
        return BuildVmIds.of("bld", tenant, image, version, MAX_ID);
    }
}
