package dev.burrow.daemon.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.burrow.daemon.aws.Arns;
import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.InvalidRequestException;
import dev.burrow.daemon.images.VersionState;
import dev.burrow.daemon.images.builtin.ManagedBase;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.store.ImageTags;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The managed images and tags of the Lambda MicroVMs door (SPEC §8). Managed images are Burrow's
 * built-in bases ({@link ManagedBase}), every one of them, since a Dockerfile build makes any base
 * on first use; a base's versions are the versions of its published image (the admin tenant's
 * public image of that name), READY ones only: AVAILABLE while active, DEPRECATED once not.
 * Tags are {@link ImageTags} on the caller's own {@code microvm-image} ARNs.
 */
final class AwsCatalogRoutes {

    /** The resource type every ResourceNotFoundException of these operations names. */
    static final String IMAGE_TYPE = "microvm-image";
    /** The model's {@code MicrovmImageIdentifier} and {@code TaggableResource} lengths. */
    static final int MAX_IMAGE_IDENTIFIER = 256;
    static final int MAX_RESOURCE = 10_000;
    /** What a nextToken of these lists encodes: the position of the last item handed out. */
    private static final Pattern TOKEN = Pattern.compile("p(\\d{1,18})");

    private final Api.Catalog catalog;

    AwsCatalogRoutes(Api.Catalog catalog) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
    }

    void register(ApiServer api) {
        api.awsRoute("GET", "/2025-09-09/managed-microvm-images", this::listManagedMicrovmImages);
        api.awsRoute("GET", "/2025-09-09/managed-microvm-images/{imageIdentifier}/versions", this::listManagedMicrovmImageVersions);
        api.awsRoute("GET", "/2017-03-31/tags/{resource}", this::listTags);
        api.awsRoute("POST", "/2017-03-31/tags/{resource}", this::tagResource);
        api.awsRoute("DELETE", "/2017-03-31/tags/{resource}", this::untagResource);
    }

    record ManagedImage(String imageArn, BigDecimal createdAt, BigDecimal updatedAt) {}

    record ManagedVersion(String imageArn, String imageVersion, String status, BigDecimal createdAt, BigDecimal updatedAt) {}

    record Listed<T>(List<T> items, String nextToken) {}

    record TagBody(@JsonProperty("Tags") Map<String, String> tags) {}

    record TagsOut(@JsonProperty("Tags") Map<String, String> tags) {}

    /**
     * ListManagedMicrovmImages: every base, in the family's fixed order. A published base is as
     * old as its first READY version and updated when its newest one was; one not published
     * (yet) dates from when this daemon began to offer it.
     */
    private void listManagedMicrovmImages(Call c) throws Exception {
        int max = AwsPaging.maxResults(c);
        long after = after(AwsPaging.nextToken(c));
        List<ManagedBase> bases = catalog.bases();
        int from = (int) Math.min(bases.size(), after + 1);
        int to = Math.min(bases.size(), from + max);
        List<ManagedImage> items = new ArrayList<>();
        for (ManagedBase b : bases.subList(from, to)) {
            List<ImageVersion> versions = published(b);
            Instant created = versions.isEmpty() ? catalog.offeredSince() : versions.getFirst().createdAt();
            Instant updated = versions.stream().map(ImageVersion::updatedAt).filter(Objects::nonNull).max(Comparator.naturalOrder())
                    .orElse(null);
            items.add(new ManagedImage(managedArn(c, b), AwsJson.timestamp(created), AwsJson.timestamp(updated)));
        }
        String next = to < bases.size() ? token(to - 1) : null;
        c.sendAws(200, new Listed<>(items, next));
    }

    /** ListManagedMicrovmImageVersions: the base's published READY versions, oldest first. */
    private void listManagedMicrovmImageVersions(Call c) throws Exception {
        int max = AwsPaging.maxResults(c);
        long after = after(AwsPaging.nextToken(c));
        ManagedBase base = managedBase(c.param("imageIdentifier"));
        String arn = managedArn(c, base);
        List<ImageVersion> rest = published(base).stream().filter(v -> v.version() > after).toList();
        List<ManagedVersion> items = rest.subList(0, Math.min(max, rest.size())).stream()
                .map(v -> new ManagedVersion(arn, Integer.toString(v.version()), v.active() ? "AVAILABLE" : "DEPRECATED",
                        AwsJson.timestamp(v.createdAt()), AwsJson.timestamp(v.updatedAt())))
                .toList();
        String next = rest.size() > max ? token(rest.get(max - 1).version()) : null;
        c.sendAws(200, new Listed<>(items, next));
    }

    /** ListTags → {@code {"Tags": {...}}}, sorted by key. */
    private void listTags(Call c) throws Exception {
        String arn = c.param("resource");
        String image = taggableImage(c, arn);
        Map<String, String> tags;
        try {
            tags = catalog.tags().tags(c.tenant(), image);
        } catch (NotFoundException e) {
            throw imageNotFound(arn);
        }
        c.sendAws(200, new TagsOut(tags));
    }

    /** TagResource: merges {@code Tags} into the image's; 204. A tag against AWS's rules is an InvalidParameterValueException. */
    private void tagResource(Call c) throws Exception {
        String arn = c.param("resource");
        String image = taggableImage(c, arn);
        TagBody body = c.json(TagBody.class);
        if (body.tags() == null) {
            throw AwsError.validation("Tags is required: a map of tag keys to values");
        }
        try {
            catalog.tags().tag(c.tenant(), image, body.tags());
        } catch (NotFoundException e) {
            throw imageNotFound(arn);
        } catch (InvalidRequestException e) {
            throw invalidParameter(e.getMessage());
        }
        c.sendRaw(204, new byte[0]);
    }

    /** UntagResource: removes the {@code tagKeys} (repeated query parameter); a key the image lacks is fine; 204. */
    private void untagResource(Call c) throws Exception {
        String arn = c.param("resource");
        String image = taggableImage(c, arn);
        List<String> keys = c.queries("tagKeys");
        if (keys.isEmpty()) {
            throw AwsError.validation("tagKeys is required: give each tag key to remove as a tagKeys query parameter");
        }
        for (String k : keys) {
            if (k.isEmpty() || k.codePointCount(0, k.length()) > ImageTags.MAX_KEY_CHARS) {
                throw AwsError.validation("tagKeys must each be 1 to " + ImageTags.MAX_KEY_CHARS + " characters; got '"
                        + Queries.printable(k) + "'");
            }
        }
        try {
            catalog.tags().untag(c.tenant(), image, keys);
        } catch (NotFoundException e) {
            throw imageNotFound(arn);
        }
        c.sendRaw(204, new byte[0]);
    }

    /**
     * The Burrow image a TaggableResource names: only the caller's own microvm-image ARNs are
     * taggable here. Another account's image is not found, exactly as an absent one.
     */
    private String taggableImage(Call c, String arn) {
        if (arn.length() > MAX_RESOURCE) {
            throw AwsError.validation("Resource must be at most " + MAX_RESOURCE + " characters");
        }
        Arns.ImageArn parsed = Arns.parseImage(arn);
        if (parsed == null) {
            throw AwsError.validation("Resource '" + Queries.printable(arn) + "' is not taggable here: only microvm-image ARNs "
                    + "(arn:aws:lambda:<region>:<account>:microvm-image:<name>) are; functions, layers and the other Lambda "
                    + "resources are not Burrow's");
        }
        if (parsed.managed()) {
            throw AwsError.validation("Resource '" + Queries.printable(arn) + "' is a managed image, which is not taggable: "
                    + "only the microvm-image ARNs of your own account are");
        }
        if (!parsed.account().equals(c.aws.accountId())) {
            throw imageNotFound(arn);
        }
        return catalog.imageName().apply(parsed.name());
    }

    /** The managed base an {@code imageIdentifier} names: its ARN (account {@code aws}, any region) or its name. */
    private ManagedBase managedBase(String identifier) {
        if (identifier.isEmpty() || identifier.length() > MAX_IMAGE_IDENTIFIER) {
            throw AwsError.validation("imageIdentifier must be 1 to " + MAX_IMAGE_IDENTIFIER + " characters");
        }
        String name = identifier;
        if (identifier.startsWith("arn:")) {
            Arns.ImageArn arn = Arns.parseImage(identifier);
            if (arn == null) {
                throw AwsError.validation("imageIdentifier '" + Queries.printable(identifier) + "' is not a microvm-image ARN"
                        + " (arn:aws:lambda:<region>:aws:microvm-image:<name>)");
            }
            name = arn.managed() ? arn.name() : null;
        }
        String found = name;
        return catalog.bases().stream().filter(b -> b.name().equals(found)).findFirst().orElseThrow(() -> AwsError.notFound(IMAGE_TYPE,
                identifier, "no managed microVM image " + Queries.printable(identifier) + "; ListManagedMicrovmImages lists them"));
    }

    /**
     * The base's ARN in the caller's region as it signed it (not {@link ManagedBase#arn}, which
     * refuses a region name AWS would not use: a listing must not fail on the caller's spelling).
     */
    private static String managedArn(Call c, ManagedBase base) {
        return Arns.managedImage(c.aws.region(), base.name());
    }

    /** The base's published versions that can be built on (READY), oldest first. */
    private List<ImageVersion> published(ManagedBase base) {
        return catalog.publishedVersions().apply(base.name()).stream().filter(v -> v.state() == VersionState.READY)
                .sorted(Comparator.comparingInt(ImageVersion::version)).toList();
    }

    private static AwsError imageNotFound(String arn) {
        return AwsError.notFound(IMAGE_TYPE, arn, "microVM image " + Queries.printable(arn) + " was not found");
    }

    /** What AWS Lambda answers for a tag it refuses (the model declares it for the tag operations). */
    static AwsError invalidParameter(String message) {
        return new AwsError("InvalidParameterValueException", 400, message, Map.of("Type", "User"), Map.of());
    }

    /** A nextToken: base64url of {@code p<position>}, where position orders the list (a base's index, a version number). */
    private static String token(long position) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("p" + position).getBytes(StandardCharsets.UTF_8));
    }

    /** The position after which a page starts: -1 without a token. */
    private static long after(String token) {
        if (token == null) {
            return -1;
        }
        try {
            var m = TOKEN.matcher(new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8));
            if (m.matches()) {
                return Long.parseLong(m.group(1));
            }
        } catch (IllegalArgumentException e) {
            // falls through to the ValidationException
        }
        throw AwsError.validation("nextToken must be the nextToken of the previous page, as returned");
    }
}
