package dev.burrow.oci.registry.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import dev.burrow.oci.ImageException;
import dev.burrow.oci.MediaTypes;
import dev.burrow.oci.Platform;
import dev.burrow.oci.internal.Json;
import dev.burrow.oci.internal.ManifestResolver;
import dev.burrow.oci.internal.Sha256;
import dev.burrow.oci.registry.RegistryException;
import dev.burrow.oci.registry.RegistryException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fetches manifests and indexes: capped (by {@code Content-Length} before reading and while
 * reading), digest-checked (against a digest reference, a descriptor, or the registry's
 * {@code Docker-Content-Digest}), stored. An index is walked with {@link ManifestResolver}'s
 * bounds to the manifest of the wanted platform, storing every index on the way so
 * {@code ImageSource.fromStore} can walk it again offline.
 */
public final class ManifestFetcher {
    /** Everything Burrow can read, in the order a registry should prefer. */
    public static final String ACCEPT = String.join(", ", MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST,
            MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.DOCKER_MANIFEST);
    private static final String ANNOTATION_REF_TYPE = "vnd.docker.reference.type";
    private static final Set<String> SCHEMA1 = Set.of("application/vnd.docker.distribution.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v1+prettyjws");

    /** A stored manifest or index and its parsed JSON. */
    public record Fetched(Descriptor descriptor, JsonNode json) {
        public boolean isIndex() {
            return MediaTypes.INDEXES.contains(descriptor.mediaType());
        }
    }

    private final Transport transport;
    private final BlobStore store;
    private final int maxBytes;
    private final Set<Digest> expanded = new HashSet<>();
    private int descriptors;

    public ManifestFetcher(Transport transport, BlobStore store, int maxBytes) {
        this.transport = transport;
        this.store = store;
        this.maxBytes = maxBytes;
    }

    /** Fetches by tag or digest; {@code expected} (may be null) is the descriptor that named it. */
    public Fetched fetch(Target t, String reference, Descriptor expected) throws IOException {
        String what = "manifest " + reference;
        byte[] bytes;
        String contentType;
        String served;
        try (Transport.Response r = transport.get(t, "manifests/" + reference, Map.of("Accept", ACCEPT), what)) {
            long length = r.contentLength();
            if (length > maxBytes) {
                throw tooLarge(t, what, length + " bytes");
            }
            bytes = readCapped(r.body(), t, what);
            contentType = r.headers().firstValue("Content-Type").orElse("");
            served = r.headers().firstValue("Docker-Content-Digest").orElse(null);
        }
        Digest actual = Sha256.of(bytes);
        if (expected != null && (!actual.equals(expected.digest()) || bytes.length != expected.size())) {
            throw new RegistryException(Reason.PROTOCOL, what + " from " + t.name() + " does not match its descriptor ("
                    + bytes.length + " bytes, " + actual + ")");
        }
        if (served != null && !served.isBlank()) {
            Digest claimed;
            try {
                claimed = Digest.parse(served.trim());
            } catch (ImageException e) {
                claimed = null; // another algorithm: our own hash of the bytes stands
            }
            if (claimed != null && !claimed.equals(actual)) {
                throw new RegistryException(Reason.PROTOCOL, what + " from " + t.name() + " does not match the digest "
                        + claimed + " the registry gave for it (got " + actual + ")");
            }
        }
        JsonNode json;
        try {
            json = Json.parse(bytes, what + " from " + t.name());
        } catch (ImageException e) {
            throw new RegistryException(Reason.PROTOCOL, e.getMessage());
        }
        String type = mediaType(json, contentType);
        if (SCHEMA1.contains(type) || (json.has("schemaVersion") && json.get("schemaVersion").asInt() == 1)) {
            throw new RegistryException(Reason.PROTOCOL, what + " in " + t.name()
                    + " is a Docker schema 1 manifest, which Burrow does not support");
        }
        store.put(bytes);
        return new Fetched(new Descriptor(type, actual, bytes.length), json);
    }

    /**
     * Walks an index to the image manifest for {@code platform} (fetched and stored, with its
     * platform). Fails naming the platforms the index has when it lacks this one.
     */
    public Fetched resolvePlatform(Target t, Fetched index, Platform platform, String ref) throws IOException {
        List<Descriptor> candidates = new ArrayList<>();
        expanded.add(index.descriptor().digest());
        collect(t, index, 0, candidates);
        Descriptor chosen = null;
        for (Descriptor d : candidates) {
            if (d.platform() != null && matches(d.platform(), platform)) {
                chosen = d;
                break;
            }
        }
        if (chosen == null) {
            chosen = candidates.stream().filter(d -> d.platform() == null).findFirst().orElse(null);
        }
        if (chosen == null) {
            Set<String> found = new LinkedHashSet<>();
            candidates.forEach(d -> found.add(d.platform().toString()));
            throw new RegistryException(Reason.PLATFORM, ref + " has no image for " + platform
                    + (found.isEmpty() ? "; its index lists no images" : "; it has " + String.join(", ", found)));
        }
        Fetched m = fetch(t, chosen.digest().toString(), chosen);
        if (m.isIndex()) {
            throw new RegistryException(Reason.PROTOCOL, "manifest " + chosen.digest() + " in " + t.name()
                    + " is an index where an image manifest was listed");
        }
        return new Fetched(m.descriptor().withPlatform(chosen.platform()), m.json());
    }

    /** {@code wanted}'s os and architecture, and its variant when it names one. */
    public static boolean matches(Platform have, Platform wanted) {
        return have.os().equals(wanted.os()) && have.architecture().equals(wanted.architecture())
                && (wanted.variant() == null || wanted.variant().equals(have.variant()));
    }

    private void collect(Target t, Fetched index, int depth, List<Descriptor> out) throws IOException {
        String name = "index " + index.descriptor().digest();
        JsonNode manifests = index.json().get("manifests");
        if (manifests == null || !manifests.isArray()) {
            throw new RegistryException(Reason.PROTOCOL, name + " in " + t.name() + " has no 'manifests' array");
        }
        if (manifests.size() > ManifestResolver.MAX_DESCRIPTORS_PER_INDEX) {
            throw new RegistryException(Reason.LIMIT, name + " in " + t.name() + " lists " + manifests.size()
                    + " manifests; an index may list at most " + ManifestResolver.MAX_DESCRIPTORS_PER_INDEX);
        }
        descriptors += manifests.size();
        if (descriptors > ManifestResolver.MAX_DESCRIPTORS) {
            throw new RegistryException(Reason.LIMIT, "the indexes of " + t.name() + " list more than "
                    + ManifestResolver.MAX_DESCRIPTORS + " manifests in all");
        }
        for (JsonNode m : manifests) {
            Descriptor d = descriptor(t, m, "a manifest in " + name);
            if (isAttestation(m) || (d.platform() != null && "unknown".equals(d.platform().os()))) {
                continue;
            }
            String type = d.mediaType();
            Fetched nested = null;
            if (type.isEmpty() || MediaTypes.INDEXES.contains(type)) {
                if (!expanded.add(d.digest())) {
                    continue; // listed again (or a cycle): already walked
                }
                if (depth + 1 >= ManifestResolver.MAX_INDEX_DEPTH) {
                    throw new RegistryException(Reason.LIMIT, "the indexes of " + t.name() + " are nested more than "
                            + ManifestResolver.MAX_INDEX_DEPTH + " deep at " + d.digest());
                }
                nested = fetch(t, d.digest().toString(), d);
                type = nested.descriptor().mediaType();
            }
            if (MediaTypes.INDEXES.contains(type)) {
                List<Descriptor> inner = new ArrayList<>();
                collect(t, nested, depth + 1, inner);
                for (Descriptor i : inner) {
                    out.add(i.platform() == null && d.platform() != null ? i.withPlatform(d.platform()) : i);
                }
            } else if (MediaTypes.MANIFESTS.contains(type)) {
                out.add(new Descriptor(type, d.digest(), d.size(), d.platform()));
            } else if (SCHEMA1.contains(type)) {
                throw new RegistryException(Reason.PROTOCOL, "manifest " + d.digest() + " in " + t.name()
                        + " is a Docker schema 1 manifest, which Burrow does not support");
            }
            // other artifacts (signatures, SBOMs…) are not images
        }
    }

    /** Parses a descriptor; errors name {@code what}. */
    public static Descriptor descriptor(Target t, JsonNode n, String what) throws RegistryException {
        if (n == null || !n.isObject()) {
            throw new RegistryException(Reason.PROTOCOL, what + " in " + t.name() + " is missing or not a descriptor");
        }
        Digest digest;
        try {
            digest = Digest.parse(Json.text(n, "digest"));
        } catch (ImageException e) {
            throw new RegistryException(Reason.PROTOCOL, what + " in " + t.name() + ": " + e.getMessage());
        }
        JsonNode size = n.get("size");
        if (size == null || !size.canConvertToLong() || size.asLong() < 0) {
            throw new RegistryException(Reason.PROTOCOL, what + " (" + digest + ") in " + t.name() + " has no valid size");
        }
        Platform platform = null;
        JsonNode p = n.get("platform");
        if (p != null && p.isObject() && Json.text(p, "os") != null && Json.text(p, "architecture") != null) {
            platform = new Platform(Json.text(p, "os"), Json.text(p, "architecture"), Json.text(p, "variant"));
        }
        String mediaType = Json.text(n, "mediaType");
        return new Descriptor(mediaType == null ? "" : mediaType, digest, size.asLong(), platform);
    }

    private static boolean isAttestation(JsonNode m) {
        JsonNode ann = m.get("annotations");
        return ann != null && "attestation-manifest".equals(Json.text(ann, ANNOTATION_REF_TYPE));
    }

    private static String mediaType(JsonNode json, String contentType) {
        String declared = Json.text(json, "mediaType");
        if (declared != null && !declared.isEmpty()) {
            return declared;
        }
        String ct = contentType.split(";", 2)[0].trim();
        if (MediaTypes.INDEXES.contains(ct) || MediaTypes.MANIFESTS.contains(ct) || SCHEMA1.contains(ct)) {
            return ct;
        }
        return json.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }

    private byte[] readCapped(InputStream in, Target t, String what) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        int n;
        try {
            while ((n = in.read(buf)) >= 0) {
                if (out.size() + n > maxBytes) {
                    throw tooLarge(t, what, "more than " + maxBytes + " bytes");
                }
                out.write(buf, 0, n);
            }
        } catch (RegistryException e) {
            throw e;
        } catch (IOException e) {
            throw new RegistryException(Reason.UNREACHABLE, "the transfer of " + what + " from " + t.name()
                    + " was cut off (" + e.getClass().getSimpleName() + ")", e);
        }
        return out.toByteArray();
    }

    private RegistryException tooLarge(Target t, String what, String size) {
        return new RegistryException(Reason.LIMIT, what + " in " + t.name() + " is " + size
                + "; Burrow reads at most " + maxBytes + " bytes of a manifest or index");
    }
}
