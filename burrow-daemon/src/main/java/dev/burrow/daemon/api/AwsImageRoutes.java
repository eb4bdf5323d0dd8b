package dev.burrow.daemon.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.burrow.daemon.api.AwsImageShapes.ImageRequest;
import dev.burrow.daemon.api.AwsImageShapes.VersionSpec;
import dev.burrow.daemon.aws.Arns;
import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.images.ImageExistsException;
import dev.burrow.daemon.images.ImageService;
import dev.burrow.daemon.images.ImageSourceSpec;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.VersionState;
import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.store.IdempotencyKeys;
import dev.burrow.daemon.store.Uploads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The image, version and build operations of the Lambda MicroVMs door (SPEC §8), onto
 * {@link ImageService}: an image version is a {@code dockerfile} build of the code artifact's zip
 * (its {@code FROM <base>} the managed base baseImageArn names), a build is the version's one
 * build on this host. What the caller asked a version to be (its AWS members) is kept in
 * {@value #SPEC_FILE} beside the version and answered back; everything else comes from the
 * version itself. Mapping notes: docs/aws-compat-images.md.
 */
final class AwsImageRoutes {

    /** The tags of images, kept by the catalog's store (TagResource / ListTags serve the same ones). */
    interface Tagging {
        /** The image's tags; {@code image} is its name as the caller spells it (the ARN's last part). */
        Map<String, String> tags(String tenantId, String image);

        void tag(String tenantId, String image, Map<String, String> tags);

        /** No tag store wired: no tags, and tags at create are refused rather than dropped. */
        Tagging NONE = new Tagging() {
            @Override
            public Map<String, String> tags(String tenantId, String image) {
                return Map.of();
            }

            @Override
            public void tag(String tenantId, String image, Map<String, String> tags) {
                throw AwsError.validation("tags are not kept by this Burrow yet; create the image without tags");
            }
        };
    }

    /** The AWS members of a version, beside its build log in the version's directory. */
    static final String SPEC_FILE = "aws-version.json";
    static final String RESOURCE_TYPE = "microvm-image";
    private static final String DELETED = "DELETED";
    /** A clientToken is an idempotency key of its own namespace and operation. */
    private static final String TOKEN_PREFIX = "aws-client-token:";
    private static final ObjectMapper CANONICAL = JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

    private final Function<String, ImageService> images;
    private final Uploads uploads;
    private final AwsCodeArtifacts artifacts;
    private final MicroVmService microvms;
    private final IdempotencyKeys idempotency;
    private final Tagging tagging;
    private final AwsImageBuilds builds;

    AwsImageRoutes(Function<String, ImageService> images, Uploads uploads, AwsCodeArtifacts artifacts, MicroVmService microvms,
                   IdempotencyKeys idempotency, Tagging tagging) {
        this.images = images;
        this.uploads = uploads;
        this.artifacts = artifacts;
        this.microvms = microvms;
        this.idempotency = idempotency;
        this.tagging = tagging;
        this.builds = new AwsImageBuilds(AwsImageRequests.hostArchitecture());
    }

    void register(ApiServer api) {
        api.awsRoute("POST", "/2025-09-09/microvm-images", this::createMicrovmImage);
        api.awsRoute("GET", "/2025-09-09/microvm-images", this::listMicrovmImages);
        api.awsRoute("GET", "/2025-09-09/microvm-images/{imageIdentifier}", this::getMicrovmImage);
        api.awsRoute("PUT", "/2025-09-09/microvm-images/{imageIdentifier}", this::updateMicrovmImage);
        api.awsRoute("DELETE", "/2025-09-09/microvm-images/{imageIdentifier}", this::deleteMicrovmImage);
        api.awsRoute("GET", "/2025-09-09/microvm-images/{imageIdentifier}/versions", this::listMicrovmImageVersions);
        api.awsRoute("GET", "/2025-09-09/microvm-images/{imageIdentifier}/versions/{imageVersion}", this::getMicrovmImageVersion);
        api.awsRoute("PATCH", "/2025-09-09/microvm-images/{imageIdentifier}/versions/{imageVersion}", this::updateMicrovmImageVersion);
        api.awsRoute("DELETE", "/2025-09-09/microvm-images/{imageIdentifier}/versions/{imageVersion}", this::deleteMicrovmImageVersion);
        api.awsRoute("GET", "/2025-09-09/microvm-images/{imageIdentifier}/versions/{imageVersion}/builds", this::listMicrovmImageBuilds);
        api.awsRoute("GET", "/2025-09-09/microvm-images/{imageIdentifier}/versions/{imageVersion}/builds/{buildId}", this::getMicrovmImageBuild);
    }

    /** CreateMicrovmImage: a new image whose version 1 builds the artifact's Dockerfile. */
    private void createMicrovmImage(Call c) throws Exception {
        ImageRequest req = c.json(ImageRequest.class);
        AwsImageRequests.Mapped m = AwsImageRequests.map(req, true, builds.architecture());
        if (req.tags() != null && !req.tags().isEmpty() && tagging == Tagging.NONE) {
            throw AwsError.validation("tags are not kept by this Burrow yet; create the image without tags");
        }
        withClientToken(c, "CreateMicrovmImage", req.clientToken(), () -> {
            AwsCodeArtifacts.Artifact a = artifacts.resolve(c.tenant(), c.principal.admin(), req.codeArtifact().uri());
            ImageService s = images.apply(c.tenant());
            String name = AwsImageNames.toBurrow(req.name());
            ImageVersion v;
            try {
                v = s.create(name, source(a, m), m.settings());
            } catch (ImageExistsException e) {
                throw AwsError.conflict(RESOURCE_TYPE, arn(c, req.name()), "a microVM image named " + req.name()
                        + " exists; UpdateMicrovmImage builds a new version of it");
            }
            markUsed(c, a);
            VersionSpec spec = req.spec(req.name());
            writeSpec(s, v, spec);
            if (req.tags() != null && !req.tags().isEmpty()) {
                tagging.tag(c.tenant(), req.name(), req.tags());
            }
            Map<String, Object> body = image(c, req.name(), List.of(v));
            body.putAll(specMembers(spec));
            body.put("tags", tagsOf(c, req.name()));
            body.put("imageVersion", Integer.toString(v.version()));
            c.sendAws(201, body);
        });
    }

    /** UpdateMicrovmImage: a new version stating the whole version (nothing inherited from the previous one). */
    private void updateMicrovmImage(Call c) throws Exception {
        Target t = target(c);
        ImageRequest req = c.json(ImageRequest.class);
        AwsImageRequests.Mapped m = AwsImageRequests.map(req, false, builds.architecture());
        withClientToken(c, "UpdateMicrovmImage", req.clientToken(), () -> {
            List<ImageVersion> existing = existing(c, t);
            AwsCodeArtifacts.Artifact a = artifacts.resolve(c.tenant(), c.principal.admin(), req.codeArtifact().uri());
            String awsName = awsName(t.service(), t.name(), existing);
            ImageVersion v = t.service().addVersionAsGiven(t.name(), source(a, m), m.settings());
            markUsed(c, a);
            VersionSpec spec = req.spec(awsName);
            writeSpec(t.service(), v, spec);
            Map<String, Object> body = image(c, awsName, t.service().versions(t.name()));
            body.putAll(specMembers(spec));
            body.put("updatedAt", AwsJson.timestamp(v.createdAt()));
            body.put("imageVersion", Integer.toString(v.version()));
            c.sendAws(200, body);
        });
    }

    private void listMicrovmImages(Call c) throws Exception {
        int max = AwsPaging.maxResults(c);
        String after = decodeToken(AwsPaging.nextToken(c));
        String filter = c.query("nameFilter");
        if (filter != null && (filter.isBlank() || filter.length() > AwsImageRequests.MAX_STRING)) {
            throw AwsError.validation("nameFilter must be 1 to " + AwsImageRequests.MAX_STRING + " characters");
        }
        ImageService s = images.apply(c.tenant());
        List<Map<String, Object>> items = new ArrayList<>();
        String last = null;
        boolean more = false;
        for (String name : new TreeSet<>(s.imageNames())) {
            if (after != null && name.compareTo(after) <= 0) {
                continue;
            }
            List<ImageVersion> vs = s.versions(name);
            if (vs.isEmpty()) {
                continue;
            }
            String awsName = awsName(s, name, vs);
            if (filter != null && !awsName.contains(filter)) {
                continue;
            }
            if (items.size() == max) {
                more = true;
                break;
            }
            Map<String, Object> item = image(c, awsName, vs);
            item.remove("updatedAt"); // not a member of MicrovmImageSummary
            items.add(item);
            last = name;
        }
        c.sendAws(200, page(items, more ? last : null));
    }

    private void getMicrovmImage(Call c) throws Exception {
        Target t = target(c);
        List<ImageVersion> vs = existing(c, t);
        String awsName = awsName(t.service(), t.name(), vs);
        Map<String, Object> body = image(c, awsName, vs);
        body.put("tags", tagsOf(c, awsName));
        c.sendAws(200, body);
    }

    /**
     * DeleteMicrovmImage, idempotent: an image that is not there (deleted before, or never made:
     * Burrow keeps no tombstones) answers 200 DELETED. Microvms still running it are a conflict.
     */
    private void deleteMicrovmImage(Call c) throws Exception {
        Target t = target(c);
        if (!t.service().versions(t.name()).isEmpty()) {
            refuseWhileUsed(c, t, null);
            t.service().delete(t.name());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("imageIdentifier", c.param("imageIdentifier"));
        body.put("state", DELETED);
        c.sendAws(200, body);
    }

    private void listMicrovmImageVersions(Call c) throws Exception {
        int max = AwsPaging.maxResults(c);
        String after = decodeToken(AwsPaging.nextToken(c));
        int from = after == null ? 0 : versionNumber(after, "nextToken");
        Target t = target(c);
        List<ImageVersion> vs = existing(c, t);
        String awsName = awsName(t.service(), t.name(), vs);
        Map<String, String> tags = tagsOf(c, awsName);
        List<ImageVersion> rest = vs.stream().filter(v -> v.version() > from).sorted(Comparator.comparingInt(ImageVersion::version)).toList();
        List<Map<String, Object>> items = rest.stream().limit(max).map(v -> version(c, t.service(), awsName, v, tags)).toList();
        c.sendAws(200, page(items, rest.size() > max ? Integer.toString(rest.get(max - 1).version()) : null));
    }

    private void getMicrovmImageVersion(Call c) throws Exception {
        Target t = target(c);
        ImageVersion v = existingVersion(c, t);
        String awsName = awsName(t.service(), t.name(), t.service().versions(t.name()));
        c.sendAws(200, version(c, t.service(), awsName, v, tagsOf(c, awsName)));
    }

    /** UpdateMicrovmImageVersion: status ACTIVE or INACTIVE is Burrow's active flag (an INACTIVE version is not picked by a run without a version). */
    private void updateMicrovmImageVersion(Call c) throws Exception {
        Target t = target(c);
        ImageVersion v = existingVersion(c, t);
        AwsImageShapes.StatusRequest req = c.json(AwsImageShapes.StatusRequest.class);
        if (req.status() == null || !(req.status().equals("ACTIVE") || req.status().equals("INACTIVE"))) {
            throw AwsError.validation("status must be ACTIVE or INACTIVE; got '" + Queries.printable(String.valueOf(req.status())) + "'");
        }
        ImageVersion next = t.service().setActive(t.name(), v.version(), req.status().equals("ACTIVE"));
        String awsName = awsName(t.service(), t.name(), t.service().versions(t.name()));
        c.sendAws(200, version(c, t.service(), awsName, next, tagsOf(c, awsName)));
    }

    /** DeleteMicrovmImageVersion, idempotent as DeleteMicrovmImage: a version not there answers 200 DELETED. */
    private void deleteMicrovmImageVersion(Call c) throws Exception {
        Target t = target(c);
        int n = versionNumber(c.param("imageVersion"), "imageVersion");
        if (t.service().version(t.name(), n).isPresent()) {
            refuseWhileUsed(c, t, n);
            t.service().deleteVersion(t.name(), n);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("imageIdentifier", c.param("imageIdentifier"));
        body.put("imageVersion", Integer.toString(n));
        body.put("state", DELETED);
        c.sendAws(200, body);
    }

    /** ListMicrovmImageBuilds: the version's one build, when it matches the filters. */
    private void listMicrovmImageBuilds(Call c) throws Exception {
        AwsPaging.maxResults(c);
        AwsPaging.nextToken(c);
        Target t = target(c);
        ImageVersion v = existingVersion(c, t);
        String imageArn = arn(c, awsName(t.service(), t.name(), t.service().versions(t.name())));
        List<Map<String, Object>> items = new ArrayList<>();
        if (builds.matches(c.query("architecture"), c.query("chipset"), c.query("chipsetGeneration"))) {
            Map<String, Object> b = builds.view(imageArn, v);
            b.remove("snapshotBuild"); // not a member of MicrovmImageBuildSummary
            items.add(b);
        }
        c.sendAws(200, page(items, null));
    }

    private void getMicrovmImageBuild(Call c) throws Exception {
        Target t = target(c);
        ImageVersion v = existingVersion(c, t);
        String imageArn = arn(c, awsName(t.service(), t.name(), t.service().versions(t.name())));
        if (!builds.id(v).equals(c.param("buildId"))) {
            throw AwsError.notFound("microvm-image-build", c.param("buildId"), "version " + v.version() + " of " + imageArn
                    + " has no build " + c.param("buildId") + "; its build is " + builds.id(v));
        }
        c.sendAws(200, builds.view(imageArn, v));
    }

    // ---- mapping --------------------------------------------------------------------------

    /** The Burrow image an {@code imageIdentifier} names, in the caller's image service. */
    private record Target(ImageService service, String name) {}

    private Target target(Call c) {
        Arns.ImageRef ref = Arns.resolveImage(c.param("imageIdentifier"), c.aws.accountId());
        if (ref.managed()) {
            throw AwsError.validation("imageIdentifier " + c.param("imageIdentifier") + " is a managed base image;"
                    + " ListManagedMicrovmImageVersions describes it, and CreateMicrovmImage builds on it");
        }
        if (ref.name().length() > AwsImageNames.MAX_AWS_NAME) {
            throw notFound(c);
        }
        return new Target(images.apply(c.tenant()), AwsImageNames.toBurrow(ref.name()));
    }

    private static AwsError notFound(Call c) {
        return AwsError.notFound(RESOURCE_TYPE, c.param("imageIdentifier"), "microVM image " + c.param("imageIdentifier") + " was not found");
    }

    private static List<ImageVersion> existing(Call c, Target t) {
        List<ImageVersion> vs = t.service().versions(t.name());
        if (vs.isEmpty()) {
            throw notFound(c);
        }
        return vs;
    }

    private static ImageVersion existingVersion(Call c, Target t) {
        existing(c, t);
        int n = versionNumber(c.param("imageVersion"), "imageVersion");
        return t.service().version(t.name(), n).orElseThrow(() -> AwsError.notFound("microvm-image-version",
                c.param("imageIdentifier") + ":" + n, "microVM image " + c.param("imageIdentifier") + " has no version " + n));
    }

    private static int versionNumber(String s, String field) {
        if (s == null || !s.matches("[1-9][0-9]{0,8}")) {
            throw AwsError.validation(field + " must be a version number such as 1; got '" + Queries.printable(String.valueOf(s)) + "'");
        }
        return Integer.parseInt(s);
    }

    private static ImageSourceSpec source(AwsCodeArtifacts.Artifact a, AwsImageRequests.Mapped m) {
        return new ImageSourceSpec.Dockerfile(a.zip(), Map.of(), null, false, m.network());
    }

    private void markUsed(Call c, AwsCodeArtifacts.Artifact a) {
        if (a.uploadId() != null) {
            uploads.markUsed(c.tenant(), a.uploadId(), Instant.now());
        }
    }

    /** 409 while microVMs run the image (or the version): AWS has no force flag; terminate them first. */
    private void refuseWhileUsed(Call c, Target t, Integer version) {
        int users = microvms.using(c.tenant(), t.name(), version).size();
        if (users > 0) {
            String what = version == null ? "microVM image " + c.param("imageIdentifier") : "version " + version + " of " + c.param("imageIdentifier");
            throw AwsError.conflict(RESOURCE_TYPE, c.param("imageIdentifier"), users + " microVM(s) still run " + what
                    + "; terminate them first");
        }
    }

    private static String arn(Call c, String awsName) {
        return Arns.image(c.aws.region(), c.aws.accountId(), awsName);
    }

    private Map<String, String> tagsOf(Call c, String awsName) {
        Map<String, String> t = tagging.tags(c.tenant(), awsName);
        return t == null || t.isEmpty() ? null : t;
    }

    /**
     * An image's members (MicrovmImageSummary plus {@code updatedAt}): its state follows its newest
     * version — building: CREATING (version 1) or UPDATING; READY: CREATED or UPDATED; FAILED:
     * CREATE_FAILED or UPDATE_FAILED.
     */
    static Map<String, Object> imageMembers(String imageArn, String awsName, List<ImageVersion> vs) {
        ImageVersion newest = vs.stream().max(Comparator.comparingInt(ImageVersion::version)).orElseThrow();
        ImageVersion first = vs.stream().min(Comparator.comparingInt(ImageVersion::version)).orElseThrow();
        boolean created = newest.version() == 1;
        String state = switch (newest.state()) {
            case PENDING, BUILDING -> created ? "CREATING" : "UPDATING";
            case READY -> created ? "CREATED" : "UPDATED";
            case FAILED -> created ? "CREATE_FAILED" : "UPDATE_FAILED";
        };
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("imageArn", imageArn);
        m.put("name", awsName);
        m.put("state", state);
        m.put("latestActiveImageVersion", newestWhere(vs, v -> v.state() == VersionState.READY && v.active()));
        m.put("latestFailedImageVersion", newestWhere(vs, v -> v.state() == VersionState.FAILED));
        m.put("createdAt", AwsJson.timestamp(first.createdAt()));
        m.put("updatedAt", AwsJson.timestamp(newest.updatedAt()));
        return m;
    }

    private static String newestWhere(List<ImageVersion> vs, Predicate<ImageVersion> p) {
        return vs.stream().filter(p).max(Comparator.comparingInt(ImageVersion::version)).map(v -> Integer.toString(v.version())).orElse(null);
    }

    private static Map<String, Object> image(Call c, String awsName, List<ImageVersion> vs) {
        return imageMembers(arn(c, awsName), awsName, vs);
    }

    /** The version state's AWS name: an explicit switch, so a new Burrow state cannot slip through unmapped. */
    static String versionState(VersionState s) {
        return switch (s) {
            case PENDING -> "PENDING";
            case BUILDING -> "IN_PROGRESS";
            case READY -> "SUCCESSFUL";
            case FAILED -> "FAILED";
        };
    }

    private Map<String, Object> version(Call c, ImageService s, String awsName, ImageVersion v, Map<String, String> tags) {
        Map<String, Object> m = specMembers(readSpec(s, v).orElseGet(() -> synthesized(c, awsName, v)));
        m.put("imageArn", arn(c, awsName));
        m.put("imageVersion", Integer.toString(v.version()));
        m.put("state", versionState(v.state()));
        m.put("status", v.active() ? "ACTIVE" : "INACTIVE");
        m.put("createdAt", AwsJson.timestamp(v.createdAt()));
        m.put("updatedAt", AwsJson.timestamp(v.updatedAt()));
        m.put("stateReason", v.stateReason());
        m.put("tags", tags);
        return m;
    }

    /** The AWS members of a spec, as a version, image or update response lists them ({@code name} is the image's, not a version member). */
    private static Map<String, Object> specMembers(VersionSpec spec) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = AwsJson.MAPPER.convertValue(spec, LinkedHashMap.class);
        m.remove("name");
        return m;
    }

    /**
     * A version made through {@code /v1} has no AWS members: they are derived — the base is
     * named {@code burrow} (no managed base was asked for), the role is the account's
     * {@code role/burrow}, the artifact is {@code burrow://versions/<name>/<n>}.
     */
    private static VersionSpec synthesized(Call c, String awsName, ImageVersion v) {
        var hooks = v.settings() == null ? null : v.settings().hooks();
        Integer mem = v.settings() == null || v.settings().resources() == null ? null : v.settings().resources().memoryMiB();
        return new VersionSpec(awsName, Arns.managedImage(c.aws.region(), "burrow"), null,
                "arn:aws:iam::" + c.aws.accountId() + ":role/burrow", null,
                new AwsImageShapes.CodeArtifact("burrow://versions/" + v.image() + "/" + v.version()), null, null, null,
                mem == null ? null : List.of(new AwsImageShapes.ResourcesShape(mem)), null,
                hooks == null ? null : AwsImageBuilds.hooksShape(hooks), null);
    }

    private static Path specFile(ImageService s, ImageVersion v) {
        return s.imageDir(v.image()).resolve(Integer.toString(v.version())).resolve(SPEC_FILE);
    }

    private static void writeSpec(ImageService s, ImageVersion v, VersionSpec spec) throws IOException {
        Path f = specFile(s, v);
        Files.createDirectories(f.getParent());
        Path tmp = f.resolveSibling(SPEC_FILE + ".tmp");
        Files.write(tmp, AwsJson.MAPPER.writeValueAsBytes(spec));
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static Optional<VersionSpec> readSpec(ImageService s, ImageVersion v) {
        Path f = specFile(s, v);
        try {
            return Files.exists(f) ? Optional.of(AwsJson.MAPPER.readValue(f.toFile(), VersionSpec.class)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // unreadable: answered as a /v1 version is
        }
    }

    /**
     * The name an AWS caller gave {@code burrowName}: itself unless it is a mapped one (those alone
     * have a dot, which AWS names never have), else the spelling kept beside its newest version.
     */
    static String spelling(ImageService s, String burrowName) {
        return burrowName.indexOf('.') < 0 ? burrowName : awsName(s, burrowName, s.versions(burrowName));
    }

    /** The image's name as its newest AWS-made version spells it; an image made through /v1 is its own name. */
    private static String awsName(ImageService s, String burrowName, List<ImageVersion> vs) {
        return vs.stream().sorted(Comparator.comparingInt(ImageVersion::version).reversed())
                .map(v -> readSpec(s, v)).flatMap(Optional::stream).map(VersionSpec::name).findFirst().orElse(burrowName);
    }

    private static Map<String, Object> page(List<Map<String, Object>> items, String next) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("items", items);
        m.put("nextToken", next == null ? null : Base64.getUrlEncoder().withoutPadding().encodeToString(next.getBytes(StandardCharsets.UTF_8)));
        return m;
    }

    private static String decodeToken(String token) {
        if (token == null) {
            return null;
        }
        try {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw AwsError.validation("nextToken must be the nextToken of the previous page, as returned");
        }
    }

    // ---- clientToken --------------------------------------------------------------------------

    @FunctionalInterface
    private interface Work {
        void run() throws Exception;
    }

    /**
     * {@code clientToken} as an idempotency key: a retry of the same request (same operation, path
     * and members, whatever their order) answers the first answer; the token on a different request
     * is a ConflictException, as is a retry while the first is still being handled.
     */
    private void withClientToken(Call c, String operation, String token, Work work) throws Exception {
        if (token == null || idempotency == null) {
            work.run();
            return;
        }
        String key = TOKEN_PREFIX + operation + ":" + token;
        String path = c.request.getHttpURI().getPath();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update((operation + " " + path + "\n").getBytes(StandardCharsets.UTF_8));
        String hash = HexFormat.of().formatHex(sha.digest(CANONICAL.writeValueAsBytes(CANONICAL.readValue(c.readAhead(), Object.class))));
        switch (idempotency.reserve(c.tenant(), key, c.request.getMethod(), path, hash)) {
            case IdempotencyKeys.Reservation.Replay r -> c.sendRaw(r.stored().status(), r.stored().response().getBytes(StandardCharsets.UTF_8));
            case IdempotencyKeys.Reservation.Mismatch m -> throw AwsError.conflict(RESOURCE_TYPE, null,
                    "clientToken " + token + " was used for a different " + operation + " request; use a new token for a new request");
            case IdempotencyKeys.Reservation.InProgress p -> throw AwsError.conflict(RESOURCE_TYPE, null,
                    "a " + operation + " request with clientToken " + token + " is still being handled; retry shortly");
            case IdempotencyKeys.Reservation.Proceed p -> {
                boolean[] recorded = {false};
                c.beforeSend = () -> {
                    idempotency.complete(c.tenant(), key, c.sentStatus, new String(c.sentBody, StandardCharsets.UTF_8));
                    recorded[0] = true;
                };
                try {
                    work.run();
                } catch (Exception | Error e) {
                    if (!recorded[0]) {
                        idempotency.release(c.tenant(), key);
                    }
                    throw e;
                }
            }
        }
    }
}
