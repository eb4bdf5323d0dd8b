package dev.burrow.daemon.images.build.internal;

import dev.burrow.daemon.images.SourceResolver.SourceFailure;
import dev.burrow.daemon.images.build.BaseImages;
import dev.burrow.daemon.images.build.ImageLookup;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.registry.ImageReference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds the image a stage's {@code FROM} names when it is not an earlier stage: {@code scratch};
 * a registry reference ({@code host/repo:tag}, pulled with the tenant's credentials); else a
 * Burrow name {@code name[:version]}: the tenant's own image, else a public image, else a managed
 * base. A name found nowhere fails naming the line and everything tried.
 */
public final class BaseResolver {
    private static final Pattern VERSION = Pattern.compile("[0-9]{1,9}");

    /** Pulls a registry image for the tenant of the build. */
    @FunctionalInterface
    public interface Puller {
        Descriptor pull(String ref, String platform) throws SourceFailure, IOException, InterruptedException;
    }

    /** What a FROM resolved to: nothing (scratch) or an image manifest in the shared store. */
    public record Base(Descriptor manifest, String describe) {
        public boolean scratch() {
            return manifest == null;
        }
    }

    private final String tenant;
    private final Puller puller;
    private final ImageLookup images;
    private final BaseImages bases;

    public BaseResolver(String tenant, Puller puller, ImageLookup images, BaseImages bases) {
        this.tenant = tenant;
        this.puller = puller;
        this.images = images;
        this.bases = bases;
    }

    public Base resolve(String ref, String platform, int line) throws SourceFailure, IOException, InterruptedException {
        if (ref.equalsIgnoreCase("scratch")) {
            return new Base(null, "scratch");
        }
        if (ImageReference.isRegistryRef(ref)) {
            if (puller == null) {
                throw new SourceFailure("Dockerfile line " + line + ": FROM " + ref + ": this Burrow cannot pull from registries");
            }
            return new Base(puller.pull(ref, platform), ref);
        }
        String name = ref.toLowerCase(Locale.ROOT);
        String tag = null;
        int colon = name.lastIndexOf(':');
        if (colon > 0) {
            tag = name.substring(colon + 1);
            name = name.substring(0, colon);
        }
        List<String> tried = new ArrayList<>();
        Integer version = tag == null || tag.equals("latest") ? null : VERSION.matcher(tag).matches() ? Integer.valueOf(tag) : null;
        if (tag == null || version != null || tag.equals("latest")) {
            Optional<Descriptor> own = images.find(tenant, name, version);
            if (own.isPresent()) {
                return new Base(own.get(), "image " + name + (version == null ? "" : ":" + version));
            }
            tried.add(version == null ? "your images and public images (no READY, ACTIVE version of '" + name + "')"
                    : "your images and public images (no version " + name + ":" + version + ")");
        }
        String base = tag == null || tag.equals("latest") ? name : name + ":" + tag;
        Optional<Descriptor> managed = bases.find(base);
        if (managed.isPresent()) {
            return new Base(managed.get(), "managed base " + base);
        }
        tried.add("managed bases (none named '" + base + "')");
        throw new SourceFailure("Dockerfile line " + line + ": FROM " + ref + ": no such image; tried " + String.join(", then ", tried)
                + "; a registry image needs its host, e.g. registry.example.com/" + name);
    }
}
