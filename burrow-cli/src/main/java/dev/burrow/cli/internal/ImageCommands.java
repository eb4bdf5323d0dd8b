package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code burrow image create|build|ls|inspect|rm|logs|versions|publish}. */
@Command(name = "image", description = "Build and manage images.",
        subcommands = {
                ImageCommands.Create.class,
                ImageBuildCommand.class,
                ImageCommands.Ls.class,
                ImageCommands.Inspect.class,
                ImageCommands.Rm.class,
                ImageCommands.Logs.class,
                ImageCommands.Versions.class,
                ImageCommands.Publish.class,
        })
public final class ImageCommands extends BaseCommand {
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing subcommand: create, build, ls, inspect, rm, logs, versions or publish");
    }

    /** {@code NAME} or {@code NAME:VERSION}. */
    record Ref(String name, Integer version) {
        static Ref parse(String text) {
            int colon = text.lastIndexOf(':');
            if (colon < 0) return new Ref(text, null);
            String v = text.substring(colon + 1);
            try {
                int version = Integer.parseInt(v);
                if (version < 1) throw new NumberFormatException();
                return new Ref(text.substring(0, colon), version);
            } catch (NumberFormatException e) {
                throw new BurrowException("invalid image reference '" + text + "': the version after ':' is a number from 1");
            }
        }

        String path() {
            return "/v1/images/" + ApiClient.seg(name);
        }

        String versionPath(int v) {
            return path() + "/versions/" + v;
        }

        @Override
        public String toString() {
            return version == null ? name : name + ":" + version;
        }
    }

    @Command(name = "create", description = "Create an image from SOURCE (on an existing name: a new version) and wait for the build.")
    public static final class Create extends BaseCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--from", required = true, paramLabel = "SOURCE",
                description = "oci-archive:FILE, docker-archive:FILE, oci-layout:DIR or registry:REF")
        String from;

        @Option(names = "--platform", paramLabel = "OS/ARCH",
                description = "The platform of a registry:REF image (default linux/amd64, the only one that boots).")
        String platform;

        @Mixin
        VersionOptions version;

        @Override
        public Integer call() {
            ObjectNode settings = version.settings();
            ImageSource src = ImageSource.parse(from);
            if (platform != null && src.uploaded()) {
                throw new BurrowException("--platform applies to registry:REF sources only");
            }

            ObjectNode source = Json.object();
            if (src.uploaded()) {
                Uploader up = new Uploader(api(), new Progress(env));
                JsonNode upload = src.kind().equals("oci-layout") ? up.uploadDirectory(src.path()) : up.uploadFile(src.path());
                source.put("type", "upload");
                source.put("uploadId", Json.text(upload, "uploadId"));
                source.put("format", src.uploadFormat());
            } else {
                source.put("type", "registry");
                source.put("ref", src.value());
                if (platform != null) source.put("platform", platform);
            }


            ObjectNode body = Json.object();
            body.put("name", name);
            body.set("source", source);
            body.setAll(settings);
            JsonNode created = VersionOptions.createOrAddVersion(api(), name, body);
            Ref ref = VersionOptions.ref(name, created);
            if (version.detach) {
                out().println(version.json ? Json.pretty(created) : ref.toString());
                return 0;
            }
            return version.finish(ref, waitForBuild(ref), out());
        }

        private JsonNode waitForBuild(Ref ref) {
            Progress progress = new Progress(env);
            long start = System.nanoTime();
            String lastState = null;
            while (true) {
                JsonNode ver = api().get(ref.versionPath(ref.version()));
                String state = Json.text(ver, "state");
                long secs = (System.nanoTime() - start) / 1_000_000_000L;
                String line = "building " + ref + "  " + state + "  " + secs + "s";
                if (state.equals("READY") || state.equals("FAILED")) {
                    progress.done(line);
                    return ver;
                }
                if (progress.enabled()) {
                    progress.show(line, true);
                } else if (!state.equals(lastState)) {
                    err().println("building " + ref + ": " + state);
                }
                lastState = state;
                sleep(500);
            }
        }
    }

    @Command(name = "ls", description = "List images.")
    public static final class Ls extends BaseCommand {
        @Option(names = "--json", description = "Print the images as a JSON array.")
        boolean json;

        @Override
        public Integer call() {
            List<JsonNode> items = api().listAll("/v1/images");
            if (json) {
                out().println(Json.pretty(array(items)));
                return 0;
            }
            Table t = new Table("NAME", "LATEST", "STATE", "PUBLIC", "CREATED");
            Instant now = Instant.now();
            for (JsonNode img : items) {
                String latest = Json.text(img, "latestVersion");
                String state = "";
                JsonNode versions = img.get("versions");
                if (versions != null && versions.isArray()) {
                    for (JsonNode v : versions) {
                        if (Json.text(v, "version").equals(latest)) state = Json.text(v, "state");
                    }
                }
                t.row(Json.text(img, "name"), latest, state, Json.text(img, "public"), Table.ago(Json.text(img, "createdAt"), now));
            }
            t.print(out());
            return 0;
        }
    }

    @Command(name = "inspect", description = "Show an image, or one version with NAME:VERSION.")
    public static final class Inspect extends BaseCommand {
        @Parameters(index = "0", paramLabel = "NAME[:VERSION]")
        String ref;

        @Option(names = "--json", description = "(the output is always JSON)")
        boolean json;

        @Override
        public Integer call() {
            Ref r = Ref.parse(ref);
            JsonNode node = api().get(r.version() == null ? r.path() : r.versionPath(r.version()));
            out().println(Json.pretty(node));
            return 0;
        }
    }

    @Command(name = "rm", description = "Delete an image (or one version with NAME:VERSION).")
    public static final class Rm extends BaseCommand {
        @Parameters(index = "0", arity = "1..*", paramLabel = "NAME[:VERSION]")
        List<String> refs;

        @Option(names = {"-f", "--force"}, description = "Terminate the microVMs using it first.")
        boolean force;

        @Override
        public Integer call() {
            for (String text : refs) {
                Ref r = Ref.parse(text);
                String path = r.version() == null ? r.path() : r.versionPath(r.version());
                api().delete(path + (force ? "?force=true" : ""));
                out().println(r);
            }
            return 0;
        }
    }

    @Command(name = "logs", description = "Print a version's build log (default: the latest version).")
    public static final class Logs extends BaseCommand {
        @Parameters(index = "0", paramLabel = "NAME[:VERSION]")
        String ref;

        @Option(names = {"-f", "--follow"}, description = "Follow the log while the build runs.")
        boolean follow;

        @Override
        public Integer call() throws IOException {
            Ref r = Ref.parse(ref);
            int version = r.version() != null ? r.version() : latest(r);
            String path = r.versionPath(version) + "/logs";
            if (follow) {
                HttpResponse<InputStream> resp = api().getStreaming(path + "?follow=true");
                try (InputStream in = resp.body()) {
                    byte[] buf = new byte[8192];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        out().write(buf, 0, n);
                        out().flush();
                    }
                }
            } else {
                String text = api().getText(path);
                out().print(text);
                if (!text.isEmpty() && !text.endsWith("\n")) out().println();
            }
            return 0;
        }

        private int latest(Ref r) {
            JsonNode img = api().get(r.path());
            JsonNode v = img == null ? null : img.get("latestVersion");
            if (v == null || !v.canConvertToInt()) throw new BurrowException("image " + r.name() + " has no versions");
            return v.asInt();
        }
    }

    @Command(name = "versions", description = "List an image's versions.")
    public static final class Versions extends BaseCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--json", description = "Print the versions as a JSON array.")
        boolean json;

        @Override
        public Integer call() {
            List<JsonNode> items = api().listAll("/v1/images/" + ApiClient.seg(name) + "/versions");
            if (json) {
                out().println(Json.pretty(array(items)));
                return 0;
            }
            Table t = new Table("VERSION", "STATE", "STATUS", "CREATED", "REASON");
            Instant now = Instant.now();
            for (JsonNode v : items) {
                String reason = Json.text(v, "stateReason").replace('\n', ' ');
                if (reason.length() > 60) reason = reason.substring(0, 59) + "…";
                t.row(Json.text(v, "version"), Json.text(v, "state"), Json.text(v, "status"),
                        Table.ago(Json.text(v, "createdAt"), now), reason);
            }
            t.print(out());
            return 0;
        }
    }

    @Command(name = "publish", description = "Make an image public: runnable by every tenant (admin key only). --private takes that back.")
    public static final class Publish extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--private", description = "Make it private again: only its own tenant runs it.")
        boolean makePrivate;

        @Option(names = "--json", description = "Print the image as JSON.")
        boolean json;

        @Override
        protected Integer run() {
            ObjectNode body = Json.object();
            body.put("public", !makePrivate);
            JsonNode img = adminApi().patch("/v1/images/" + ApiClient.seg(name), body);
            out().println(json ? Json.pretty(img) : name + " " + (img != null && img.path("public").asBoolean(!makePrivate) ? "public" : "private"));
            return 0;
        }
    }

    static ArrayNode array(List<JsonNode> items) {
        return Json.array(items);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BurrowException("interrupted");
        }
    }
}
