package dev.burrow.daemon.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.burrow.daemon.egress.EgressPolicy;
import dev.burrow.daemon.images.BuildSettings;
import dev.burrow.daemon.images.ImageService;
import dev.burrow.daemon.images.ImageSourceSpec;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.InvalidRequestException;
import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.microvms.RunRequest;
import dev.burrow.daemon.registries.RegistryPulls;
import dev.burrow.daemon.store.Ids;
import dev.burrow.daemon.store.TenantQuotas;
import dev.burrow.daemon.store.Uploads;
import dev.burrow.oci.ImageException;
import dev.burrow.oci.ImageFormat;
import dev.burrow.oci.registry.ImageReference;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EndPoint;

/** Uploads, images and versions (SPEC §3). */
final class ImageRoutes {

    /** SPEC §0: an image name. */
    static final Pattern IMAGE_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    /** A Dockerfile ARG name, and how many build args one request may give, each at most so long. */
    private static final Pattern BUILD_ARG = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    private static final int MAX_BUILD_ARGS = 256;
    private static final int MAX_BUILD_ARG_CHARS = 64 * 1024;
    /** A build target: a stage name (Dockerfile names are lower-cased) or index. */
    private static final Pattern STAGE_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}");

    private final Function<String, ImageService> images;
    private final Uploads uploads;
    private final Path uploadDir;

    private static final int UPLOAD_BUFFER = 1 << 16;
    /** How often a followed build log is read for new lines, and in what pieces. */
    private static final Duration BUILD_LOG_POLL = Duration.ofMillis(200);
    private static final int BUILD_LOG_READ_BYTES = 64 * 1024;
    /** A followed build's connection may be quiet this long (a RUN without output): the RUN timeout's order. */
    private static final Duration BUILD_LOG_FOLLOW_IDLE = Duration.ofHours(1);

    private final MicroVmService microvms;
    private final ApiLimits limits;
    private final TenantQuotas quotas;

    ImageRoutes(Function<String, ImageService> images, Uploads uploads, Path uploadDir, MicroVmService microvms, ApiLimits limits,
                TenantQuotas quotas) {
        this.quotas = quotas;
        this.microvms = microvms;
        this.limits = limits;
        this.images = images;
        this.uploads = uploads;
        this.uploadDir = uploadDir;
    }

    void register(ApiServer api) {
        api.idempotentStreamRoute("POST", "/v1/uploads", this::upload);
        api.idempotentRoute("POST", "/v1/images", this::create);
        api.route("GET", "/v1/images", this::list);
        api.route("GET", "/v1/images/{name}", this::get);
        api.idempotentRoute("POST", "/v1/images/{name}/versions", this::addVersion);
        api.route("GET", "/v1/images/{name}/versions", this::versions);
        api.route("GET", "/v1/images/{name}/versions/{version}", this::version);
        api.route("GET", "/v1/images/{name}/versions/{version}/logs", this::logs);
        api.route("PATCH", "/v1/images/{name}/versions/{version}", this::patchVersion);
        api.route("DELETE", "/v1/images/{name}", this::deleteImage);
        api.adminRoute("PATCH", "/v1/images/{name}", this::patchImage);
        api.route("DELETE", "/v1/images/{name}/versions/{version}", this::deleteVersion);
    }

    /**
     * Stores the body as an upload: refused with 413 before reading when Content-Length is over
     * the limit, cut with 413 when a chunked body goes over it, cut with 408 when it arrives
     * slower than the minimum rate; on any failure the partial file is removed. The tenant's
     * uploads quota is checked the same way (429 before reading, 429 when the body grows past what
     * is left) and decided for good when the upload is recorded.
     */
    private void upload(Call c) throws Exception {
        long max = limits.maxUploadBytes();
        if (c.request.getLength() > max) {
            throw Call.tooLarge("the upload is " + c.request.getLength() + " bytes; the limit is " + max + " bytes");
        }
        long room = quotas.uploadRoom(c.tenant());
        if (c.request.getLength() > room) {
            throw quotas.uploadRefused(c.tenant(), c.request.getLength());
        }
        c.openStream();
        Files.createDirectories(uploadDir);
        String id = "up" + Ids.newId("").toLowerCase();
        Path target = uploadDir.resolve(id);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long bytes = 0;
        boolean done = false;
        try (InputStream in = c.body(); OutputStream out = Files.newOutputStream(target)) {
            long started = System.nanoTime();
            byte[] buf = new byte[UPLOAD_BUFFER];
            int n;
            while ((n = in.read(buf)) > 0) {
                bytes += n;
                if (bytes > max) {
                    throw Call.tooLarge("the upload is larger than the limit of " + max + " bytes");
                }
                if (bytes > room) {
                    throw quotas.uploadRefused(c.tenant(), bytes);
                }
                sha.update(buf, 0, n);
                out.write(buf, 0, n);
                checkRate(bytes, System.nanoTime() - started);
            }
            done = true;
        } catch (IOException e) {
            if (Call.causedByTimeout(e)) {
                throw new ApiException(408, "request-timeout", null, "the upload stalled: " + e.getMessage(), Map.of(),
                        Map.of("Connection", "close"));
            }
            throw ApiException.badRequest(null, "the upload was cut short: " + e.getMessage());
        } finally {
            if (!done) {
                Files.deleteIfExists(target);
            }
        }
        String hex = HexFormat.of().formatHex(sha.digest());
        Instant expires = Instant.now().plus(limits.uploadTtl());
        try {
            uploads.record(id, c.tenant(), target.toString(), bytes, hex, expires);
        } catch (RuntimeException e) {
            Files.deleteIfExists(target);
            throw e;
        }
        c.send(201, Map.of("uploadId", id, "bytes", bytes, "sha256", hex, "expiresAt", expires.toString()));
    }

    /** After the grace of one header deadline, the average rate must stay above the minimum. */
    private void checkRate(long bytes, long elapsedNanos) {
        long grace = limits.headerDeadline().toNanos();
        if (elapsedNanos > grace && bytes * 1_000_000_000.0 / elapsedNanos < limits.minUploadBytesPerSecond()) {
            throw new ApiException(408, "request-timeout", null, "the upload arrives slower than "
                    + limits.minUploadBytesPerSecond() + " bytes/s", Map.of(), Map.of("Connection", "close"));
        }
    }

    private void create(Call c) throws Exception {
        Dtos.CreateImage req = c.json(Dtos.CreateImage.class);
        FieldErrors errors = new FieldErrors();
        if (req.name() == null) {
            errors.add("name", "name is required");
        } else if (!IMAGE_NAME.matcher(req.name()).matches()) {
            errors.add("name", "name must match [a-z0-9][a-z0-9._-]{0,62}; got '" + Queries.printable(req.name()) + "'");
        }
        staticChecks(req, errors);
        errors.throwIfAny();
        ImageVersion v = images.apply(c.tenant()).create(req.name(), source(c, req.source()), req.settings());
        markUsed(c, req.source());
        c.send(202, Dtos.VersionView.of(v));
    }

    private void addVersion(Call c) throws Exception {
        Dtos.CreateImage req = c.json(Dtos.CreateImage.class);
        FieldErrors errors = new FieldErrors();
        if (req.name() != null && !req.name().equals(c.param("name"))) {
            errors.add("name", "name is given by the path; leave it out of the body");
        }
        staticChecks(req, errors);
        errors.throwIfAny();
        ImageService s = images.apply(c.tenant());
        if (s.versions(c.param("name")).isEmpty()) {
            throw new NotFoundException("no image named " + c.param("name"));
        }
        ImageVersion v = s.addVersion(c.param("name"), source(c, req.source()), req.settings());
        markUsed(c, req.source());
        c.send(202, Dtos.VersionView.of(v));
    }

    /** A build started from an upload: a prune may free it once no build runs from it (docs/space.md). */
    private void markUsed(Call c, Dtos.SourceDto s) {
        if (s != null && s.uploadId() != null) {
            uploads.markUsed(c.tenant(), s.uploadId(), Instant.now());
        }
    }

    /**
     * Every check that needs no lookup, all reported at once (issue 8): the source's shape,
     * resources, hooks, ingressPort and env. The upload is looked up only once these pass.
     */
    private static void staticChecks(Dtos.CreateImage req, FieldErrors errors) {
        Dtos.SourceDto s = req.source();
        if (s == null || s.type() == null) {
            errors.add("source.type", "source.type is required: upload, path or dockerfile");
        } else if (s.type().equals("upload")) {
            if (s.uploadId() == null) {
                errors.add("source.uploadId", "source.uploadId is required for an upload source");
            }
            if (s.format() == null) {
                errors.add("source.format", "source.format is required: oci-archive, oci-layout-tar or docker-archive");
            }
        } else if (s.type().equals("registry")) {
            registryChecks(s, errors);
        } else if (s.type().equals("dockerfile")) {
            dockerfileChecks(s, errors);
        } else if (!s.type().equals("path")) {
            errors.add("source.type", "source.type must be upload, path, registry or dockerfile; got " + Queries.printable(s.type()));
        }
        if (s != null && s.type() != null && !s.type().equals("registry")) {
            for (String[] f : new String[][] {{"ref", s.ref()}, {"platform", s.platform()}}) {
                if (f[1] != null) {
                    errors.add("source." + f[0], "source." + f[0] + " applies to registry sources only");
                }
            }
        }
        if (s != null && s.format() != null && !"registry".equals(s.type())) {
            try {
                format(s.format(), false); // the one list of formats
            } catch (ApiException e) {
                errors.add("source.format", e.getMessage());
            }
        }
        Dtos.ResourcesDto r = req.resources();
        if (r != null) {
            range(errors, "resources.vcpus", r.vcpus(), 1, 16);
            range(errors, "resources.memoryMiB", r.memoryMiB(), 128, 32768);
            range(errors, "resources.diskMiB", r.diskMiB(), 1024, 32768);
        }
        if (req.hooks() != null) {
            try {
                req.hooks().toHooks();
            } catch (InvalidRequestException e) {
                errors.add(e.field(), e.getMessage());
            }
        }
        range(errors, "ingressPort", req.ingressPort(), 1, 65535);
        range(errors, "standby", req.standby(), 0, BuildSettings.MAX_STANDBY);
        RunRequest.envViolations("env", req.env()).forEach(v -> errors.add(v.field(), v.detail()));
    }

    /**
     * A registry source: {@code ref} parses as a reference with an explicit host, {@code platform}
     * is linux/amd64 when given (SPEC §1: only amd64 boots), and no upload or path field is mixed in.
     */
    private static void registryChecks(Dtos.SourceDto s, FieldErrors errors) {
        if (s.ref() == null) {
            errors.add("source.ref", "source.ref is required for a registry source: host/repository[:tag] or host/repository@sha256:…");
        } else {
            try {
                ImageReference.parse(s.ref());
            } catch (ImageException e) {
                errors.add("source.ref", e.getMessage());
            }
        }
        if (s.platform() != null && !s.platform().equals(RegistryPulls.PLATFORM.toString())) {
            errors.add("source.platform", "source.platform must be " + RegistryPulls.PLATFORM + ", the only platform that boots; got '"
                    + Queries.printable(s.platform()) + "'");
        }
        for (String[] f : new String[][] {{"uploadId", s.uploadId()}, {"path", s.path()}, {"format", s.format()}}) {
            if (f[1] != null) {
                errors.add("source." + f[0], "source." + f[0] + " does not apply to a registry source");
            }
        }
    }

    /** A dockerfile source: its context upload, build args, target and builder network (SPEC §1). */
    private static void dockerfileChecks(Dtos.SourceDto s, FieldErrors errors) {
        if (s.uploadId() == null) {
            errors.add("source.uploadId", "source.uploadId is required for a dockerfile source: the build context (a tar or zip)");
        }
        if (s.format() != null) {
            errors.add("source.format", "source.format is not taken by a dockerfile source (the context's format is detected)");
        }
        if (s.buildArgs() != null) {
            if (s.buildArgs().size() > MAX_BUILD_ARGS) {
                errors.add("source.buildArgs", "source.buildArgs holds at most " + MAX_BUILD_ARGS + " names; got " + s.buildArgs().size());
            }
            s.buildArgs().forEach((k, v) -> {
                String field = "source.buildArgs." + Queries.printable(k);
                if (!BUILD_ARG.matcher(k).matches()) {
                    errors.add(field, "build arg names match [A-Za-z_][A-Za-z0-9_]{0,127}; got '" + Queries.printable(k) + "'");
                } else if (v == null) {
                    errors.add(field, field + " needs a value (a string)");
                } else if (v.length() > MAX_BUILD_ARG_CHARS) {
                    errors.add(field, field + " is longer than " + MAX_BUILD_ARG_CHARS + " characters");
                }
            });
        }
        if (s.target() != null && !STAGE_NAME.matcher(s.target()).matches()) {
            errors.add("source.target", "source.target names a stage ([a-z0-9][a-z0-9._-]{0,127}) or its index; got '"
                    + Queries.printable(s.target()) + "'");
        }
        List<EgressPolicy.Violation> network = new ArrayList<>();
        EgressPolicy.parse(s.network(), network);
        network.forEach(v -> errors.add("source." + v.field(), v.detail().startsWith("network") ? "source." + v.detail() : v.detail()));
    }

    private static void range(FieldErrors errors, String field, Integer value, int min, int max) {
        if (value != null && (value < min || value > max)) {
            errors.add(field, field + " must be between " + min + " and " + max + "; got " + value);
        }
    }

    private ImageSourceSpec source(Call c, Dtos.SourceDto s) {
        if (s == null || s.type() == null) {
            throw ApiException.badRequest("source.type", "source.type is required: upload or path");
        }
        return switch (s.type()) {
            case "upload" -> {
                if (s.uploadId() == null) {
                    throw ApiException.badRequest("source.uploadId", "source.uploadId is required for an upload source");
                }
                Path p = uploads.get(c.tenant(), s.uploadId()).map(u -> u.path())
                        .orElseThrow(() -> ApiException.badRequest("source.uploadId", "no upload " + s.uploadId() + " (expired, or from another tenant)"));
                yield new ImageSourceSpec.HostPath(p, format(s.format(), true));
            }
            case "path" -> {
                if (!c.principal.admin()) {
                    throw new ApiException(403, "forbidden", "source.type", "path sources need an admin key; upload the image instead");
                }
                if (s.path() == null) {
                    throw ApiException.badRequest("source.path", "source.path is required for a path source");
                }
                yield new ImageSourceSpec.HostPath(Path.of(s.path()), format(s.format(), false));
            }
            case "registry" -> {
                FieldErrors errors = new FieldErrors();
                registryChecks(s, errors);
                errors.throwIfAny();
                yield new ImageSourceSpec.Registry(s.ref(), s.platform());
            }
            case "dockerfile" -> {
                // staticChecks has vetted the fields
                Path p = uploads.get(c.tenant(), s.uploadId()).map(u -> u.path())
                        .orElseThrow(() -> ApiException.badRequest("source.uploadId", "no upload " + s.uploadId() + " (expired, or from another tenant)"));
                yield new ImageSourceSpec.Dockerfile(p, s.buildArgs(), s.target(), Boolean.TRUE.equals(s.noCache()),
                        EgressPolicy.parse(s.network(), new ArrayList<>()));
            }
            default -> throw ApiException.badRequest("source.type", "source.type must be upload, path, registry or dockerfile; got "
                    + Queries.printable(s.type()));
        };
    }

    private static ImageFormat format(String f, boolean required) {
        if (f == null) {
            if (required) {
                throw ApiException.badRequest("source.format", "source.format is required: oci-archive, oci-layout-tar or docker-archive");
            }
            return null;
        }
        return switch (f) {
            case "oci-archive", "oci-layout-tar" -> ImageFormat.OCI_ARCHIVE;
            case "docker-archive" -> ImageFormat.DOCKER_ARCHIVE;
            case "oci-layout" -> ImageFormat.OCI_LAYOUT;
            default -> throw ApiException.badRequest("source.format", "source.format must be oci-archive, oci-layout-tar or docker-archive "
                    + "(oci-layout for a path source); got " + Queries.printable(f));
        };
    }

    private void list(Call c) throws Exception {
        ImageService s = images.apply(c.tenant());
        // page the names first: a view reads the image's versions, so only the page's are built
        Dtos.ListOf<String> names = Queries.page(c, s.imageNames());
        c.send(200, new Dtos.ListOf<>(names.items().stream().map(n -> view(s, n)).toList(), names.nextCursor()));
    }

    private void get(Call c) throws Exception {
        c.send(200, view(images.apply(c.tenant()), c.param("name")));
    }

    private static Dtos.ImageView view(ImageService s, String name) {
        List<ImageVersion> vs = s.versions(name);
        if (vs.isEmpty()) {
            throw new NotFoundException("no image named " + name);
        }
        return new Dtos.ImageView(name, s.isPublic(name), vs.getFirst().createdAt(), vs.getLast().version(),
                vs.stream().map(v -> new Dtos.VersionSummary(v.version(), v.state().name(), v.active() ? "ACTIVE" : "INACTIVE")).toList());
    }

    private void versions(Call c) throws Exception {
        List<ImageVersion> vs = images.apply(c.tenant()).versions(c.param("name"));
        if (vs.isEmpty()) {
            throw new NotFoundException("no image named " + c.param("name"));
        }
        c.send(200, Queries.page(c, vs.stream().map(Dtos.VersionView::of).toList()));
    }

    private ImageVersion versionOf(Call c) {
        int n;
        try {
            n = Integer.parseInt(c.param("version"));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("version", "version must be a number; got " + c.param("version"));
        }
        return images.apply(c.tenant()).version(c.param("name"), n)
                .orElseThrow(() -> new NotFoundException("no version " + c.param("name") + ":" + c.param("version")));
    }

    private void version(Call c) throws Exception {
        c.send(200, Dtos.VersionView.of(versionOf(c)));
    }

    record StatusPatch(String status, Integer standby) {}

    record PublicPatch(@JsonProperty("public") Boolean isPublic) {}

    /** {@code PATCH /v1/images/{name} {public}} (admin keys only): an admin tenant's public image is runnable by every tenant. */
    private void patchImage(Call c) throws Exception {
        PublicPatch p = c.json(PublicPatch.class);
        if (p.isPublic() == null) {
            throw ApiException.badRequest("public", "public is required: true or false");
        }
        ImageService s = images.apply(c.tenant());
        if (!s.setPublic(c.param("name"), p.isPublic())) {
            throw new NotFoundException("no image named " + c.param("name"));
        }
        c.send(200, view(s, c.param("name")));
    }

    private void patchVersion(Call c) throws Exception {
        ImageVersion v = versionOf(c);
        StatusPatch p = c.json(StatusPatch.class);
        FieldErrors errors = new FieldErrors();
        if (p.status() == null && p.standby() == null) {
            errors.add("status", "status (ACTIVE or INACTIVE) or standby is required");
        } else if (p.status() != null && !(p.status().equals("ACTIVE") || p.status().equals("INACTIVE"))) {
            errors.add("status", "status must be ACTIVE or INACTIVE");
        }
        range(errors, "standby", p.standby(), 0, BuildSettings.MAX_STANDBY);
        errors.throwIfAny();
        ImageService s = images.apply(c.tenant());
        ImageVersion out = v;
        if (p.standby() != null) {
            out = s.setStandby(v.image(), v.version(), p.standby());
        }
        if (p.status() != null) {
            out = s.setActive(v.image(), v.version(), p.status().equals("ACTIVE"));
        }
        c.send(200, Dtos.VersionView.of(out));
    }

    /** 409 with counts while microVMs use it, unless {@code ?force=true}, which terminates them first. */
    private void clearUsers(Call c, String name, Integer version) {
        var users = microvms.using(c.tenant(), name, version);
        if (users.isEmpty()) {
            return;
        }
        if (!Queries.bool(c, "force")) {
            String what = version == null ? "image " + name : name + ":" + version;
            throw new ApiException(409, "conflict", null, users.size() + " microVM(s) still run " + what
                    + "; terminate them or delete with ?force=true", Map.of("counts", Map.of("microvms", users.size())));
        }
        users.forEach(r -> microvms.terminate(c.tenant(), r.id(), c.requestId));
    }

    private void deleteImage(Call c) throws Exception {
        Queries.bool(c, "force"); // checked first: a bad value is a 400 whether or not microVMs use the image
        ImageService s = images.apply(c.tenant());
        if (s.versions(c.param("name")).isEmpty()) {
            throw new NotFoundException("no image named " + c.param("name"));
        }
        clearUsers(c, c.param("name"), null);
        s.delete(c.param("name"));
        c.response.setStatus(204);
    }

    private void deleteVersion(Call c) throws Exception {
        Queries.bool(c, "force");
        ImageVersion v = versionOf(c);
        clearUsers(c, v.image(), v.version());
        images.apply(c.tenant()).deleteVersion(v.image(), v.version());
        c.response.setStatus(204);
    }

    private void logs(Call c) throws Exception {
        boolean follow = Queries.bool(c, "follow");
        ImageVersion v = versionOf(c);
        if (follow && !v.state().terminal()) {
            followLog(c, v);
            return;
        }
        if (!Files.exists(v.buildLog())) {
            c.sendText(200, "text/plain; charset=utf-8", "");
            return;
        }
        c.sendFile(200, "text/plain; charset=utf-8", v.buildLog()); // streamed: a build log can be larger than the heap allows
    }

    /**
     * {@code ?follow=true} on a build that has not ended: the log so far, then what the build
     * appends, until the version is READY or FAILED (then the rest, and the stream ends). A quiet
     * RUN writes nothing for minutes, so the connection's idle timeout is the build's, not the
     * API's; a client that stops reading ends the stream at the usual stall deadline.
     */
    private void followLog(Call c, ImageVersion v) throws Exception {
        c.openStream();
        EndPoint endPoint = c.request.getConnectionMetaData().getConnection().getEndPoint();
        endPoint.setIdleTimeout(BUILD_LOG_FOLLOW_IDLE.toMillis());
        c.response.setStatus(200);
        c.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        StreamOut out = c.stream();
        ByteBuffer buf = ByteBuffer.allocate(BUILD_LOG_READ_BYTES);
        ImageService s = images.apply(c.tenant());
        try {
            out.commit(); // the follower sees the response start before the first line
            FileChannel log = null;
            try {
                while (!c.stopping()) {
                    if (log == null && Files.exists(v.buildLog())) {
                        log = FileChannel.open(v.buildLog(), StandardOpenOption.READ);
                    }
                    if (log != null && pump(log, buf, out) > 0) {
                        continue;
                    }
                    boolean ended = s.version(v.image(), v.version()).map(now -> now.state().terminal()).orElse(true);
                    if (ended) {
                        if (log == null && Files.exists(v.buildLog())) {
                            log = FileChannel.open(v.buildLog(), StandardOpenOption.READ);
                        }
                        while (log != null && pump(log, buf, out) > 0) {
                            // the build's last lines
                        }
                        return;
                    }
                    Thread.sleep(BUILD_LOG_POLL.toMillis());
                }
            } finally {
                if (log != null) {
                    log.close();
                }
            }
        } catch (StreamOut.Stalled stalled) {
            throw stalled; // the client stopped reading: Jetty aborts the call
        } catch (IOException clientGone) {
            // the follower disconnected
        } finally {
            endPoint.setIdleTimeout(c.limits.idleTimeout().toMillis());
        }
    }

    /** One bounded read of the log into the stream; the number of bytes. */
    private static int pump(FileChannel log, ByteBuffer buf, StreamOut out) throws IOException {
        buf.clear();
        int n = log.read(buf);
        if (n > 0) {
            buf.flip();
            out.bytes(buf);
        }
        return Math.max(n, 0);
    }
}
