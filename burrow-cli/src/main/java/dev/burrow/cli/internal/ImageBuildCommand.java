package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code burrow image build CONTEXT --name NAME}: uploads the build context (a directory, less
 * what {@code .dockerignore} excludes, or a tar on stdin with {@code -}), asks burrowd for a
 * {@code dockerfile} build (a new image, or a new version of an existing one), prints the build
 * log as it is written (on stderr: stdout gets the {@code NAME:VERSION}) and exits 0 when the
 * version is READY, 125 with the reason when it FAILED.
 */
@Command(name = "build", description = "Build an image from a Dockerfile in CONTEXT (a directory, or - for a tar on stdin) and wait for it.")
public final class ImageBuildCommand extends BaseCommand {
    /** How long to poll for the final state once the log has ended (burrowd records it just after). */
    static final Duration FINAL_STATE_WAIT = Duration.ofSeconds(60);
    static final long POLL_MILLIS = 500;
    /** Named build args at most (as burrowd's limit on a request). */
    static final int MAX_BUILD_ARGS = 256;

    @Parameters(index = "0", paramLabel = "CONTEXT")
    String context;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "The image (an existing one gets a new version).")
    String name;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", defaultValue = BuildContextArchive.DOCKERFILE,
            description = "The Dockerfile, relative to CONTEXT (default: Dockerfile).")
    String file;

    @Option(names = "--build-arg", paramLabel = "KEY=VALUE", description = "An ARG value (repeatable).")
    List<String> buildArgs = new ArrayList<>();

    @Option(names = "--target", paramLabel = "STAGE", description = "Build this stage (default: the last).")
    String target;

    @Option(names = "--no-cache", description = "Run every step again instead of reusing cached layers.")
    boolean noCache;

    @Option(names = "--egress", paramLabel = "MODE",
            description = "The builder's outbound network: none (default), internet, or allowlist:a.com,*.b.org.")
    String egress;

    @Mixin
    VersionOptions version;

    @Override
    public Integer call() {
        ObjectNode source = Json.object();
        source.put("type", "dockerfile");
        ObjectNode body = Json.object();
        body.put("name", name);
        body.set("source", source);
        // everything is checked before the upload, which may be large
        ObjectNode options = sourceOptions();
        body.setAll(version.settings());
        source.put("uploadId", Json.text(upload(), "uploadId"));
        source.setAll(options);

        JsonNode created = VersionOptions.createOrAddVersion(api(), name, body);
        ImageCommands.Ref ref = VersionOptions.ref(name, created);
        if (version.detach) {
            out().println(version.json ? Json.pretty(created) : ref.toString());
            return 0;
        }
        followLog(ref);
        return version.finish(ref, finalState(ref), out());
    }

    /** {@code buildArgs}, {@code target}, {@code noCache}, {@code network} of the source, as given. */
    private ObjectNode sourceOptions() {
        ObjectNode o = Json.object();
        Map<String, String> args = pairs(buildArgs, "--build-arg");
        if (args.size() > MAX_BUILD_ARGS) {
            throw new BurrowException("--build-arg: at most " + MAX_BUILD_ARGS + " values");
        }
        if (!args.isEmpty()) {
            ObjectNode a = o.putObject("buildArgs");
            args.forEach(a::put);
        }
        if (target != null) o.put("target", target);
        if (noCache) o.put("noCache", true);
        if (egress != null) o.set("network", EgressSpec.parse(egress));
        return o;
    }

    private JsonNode upload() {
        Uploader up = new Uploader(api(), new Progress(env));
        if (context.equals("-")) {
            if (!file.equals(BuildContextArchive.DOCKERFILE)) {
                throw new BurrowException("--file: with a context on stdin the Dockerfile is the tar's own Dockerfile");
            }
            return up.uploadTar("context.tar", "the context on stdin", out -> env.in().transferTo(out));
        }
        BuildContextArchive archive = BuildContextArchive.of(Path.of(context), file);
        Path dir = Path.of(context).toAbsolutePath().normalize();
        return up.uploadTar((dir.getFileName() == null ? "context" : dir.getFileName().toString()) + ".tar", context, archive::write);
    }

    /** Copies the build log to stderr until burrowd ends it (the build is over); a cut stream is not an error. */
    private void followLog(ImageCommands.Ref ref) {
        try {
            HttpResponse<InputStream> resp = api().getStreaming(ref.versionPath(ref.version()) + "/logs?follow=true");
            try (InputStream in = resp.body()) {
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0; ) {
                    err().write(buf, 0, n);
                    err().flush();
                }
            }
        } catch (IOException | UncheckedIOException e) {
            err().println("burrow: the build log stream ended early (" + e.getMessage() + "); waiting for the build");
        }
    }

    /** The version once READY or FAILED, polled for at most {@link #FINAL_STATE_WAIT} after the log ended. */
    private JsonNode finalState(ImageCommands.Ref ref) {
        long deadline = System.nanoTime() + FINAL_STATE_WAIT.toNanos();
        while (true) {
            JsonNode ver = api().get(ref.versionPath(ref.version()));
            String state = Json.text(ver, "state");
            if (state.equals("READY") || state.equals("FAILED")) {
                return ver;
            }
            if (System.nanoTime() > deadline) {
                throw new BurrowException(ref + " is still " + state + " after its build log ended (see: burrow image versions " + name + ")");
            }
            ImageCommands.sleep(POLL_MILLIS);
        }
    }
}
