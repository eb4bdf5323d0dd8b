package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * What {@code image create} and {@code image build} share: a version's resources, hooks and
 * ingress port, {@code --detach} and {@code --json}; the request that makes the image (or a new
 * version of an existing one) and how the outcome is printed.
 */
final class VersionOptions {
    @Option(names = "--vcpus", paramLabel = "N")
    Integer vcpus;

    @Option(names = "--memory", paramLabel = "SIZE", description = "e.g. 512M, 2G")
    String memory;

    @Option(names = "--disk", paramLabel = "SIZE", description = "e.g. 2G")
    String disk;

    @Option(names = "--port", paramLabel = "PORT", description = "the ingress port (default 8080)")
    Integer port;

    @Option(names = "--hooks", paramLabel = "FILE", description = "a JSON file with the lifecycle hooks")
    Path hooks;

    @Option(names = "--detach", description = "Do not wait for the build.")
    boolean detach;

    @Option(names = "--json", description = "Print the version as JSON.")
    boolean json;

    /** Resources, hooks and ingress port as the request body's fields (only those given). */
    ObjectNode settings() {
        ObjectNode settings = Json.object();
        if (vcpus != null || memory != null || disk != null) {
            ObjectNode res = settings.putObject("resources");
            if (vcpus != null) res.put("vcpus", vcpus);
            if (memory != null) res.put("memoryMiB", BaseCommand.mib("--memory", memory));
            if (disk != null) res.put("diskMiB", BaseCommand.mib("--disk", disk));
        }
        if (hooks != null) {
            try {
                settings.set("hooks", Json.MAPPER.readTree(Files.readString(hooks)));
            } catch (IOException e) {
                throw new BurrowException("--hooks: cannot read " + hooks + ": " + e.getMessage(), e);
            }
        }
        if (port != null) settings.put("ingressPort", port);
        return settings;
    }

    /**
     * POST /v1/images with {@code body} (which names the image); on an existing name (409) the
     * same body as a new version (SPEC §4: the CLI adds a version). Returns burrowd's version.
     */
    static JsonNode createOrAddVersion(ApiClient api, String name, ObjectNode body) {
        try {
            return api.post("/v1/images", body);
        } catch (BurrowException e) {
            if (e.status() != 409) throw e;
            body.remove("name");
            return api.post("/v1/images/" + ApiClient.seg(name) + "/versions", body);
        }
    }

    /** The version number burrowd's answer names. */
    static ImageCommands.Ref ref(String name, JsonNode version) {
        JsonNode v = version == null ? null : version.get("version");
        if (v == null || !v.canConvertToInt()) throw new BurrowException("burrowd's answer names no version");
        return new ImageCommands.Ref(name, v.asInt());
    }

    /** Prints the finished version ({@code NAME:V}, or JSON), or fails with its reason when it FAILED. */
    int finish(ImageCommands.Ref ref, JsonNode done, PrintStream out) {
        if ("FAILED".equals(Json.text(done, "state"))) {
            if (json) out.println(Json.pretty(done));
            String reason = Json.text(done, "stateReason");
            throw new BurrowException("build of " + ref + " FAILED: " + (reason.isEmpty() ? "no reason given" : reason)
                    + " (see: burrow image logs " + ref + ")");
        }
        out.println(json ? Json.pretty(done) : ref.toString());
        return 0;
    }
}
