package dev.burrow.oci.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.BuildLog;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.MediaTypes;
import dev.burrow.oci.Platform;
import dev.burrow.oci.internal.Json;
import dev.burrow.oci.internal.ManifestResolver;
import dev.burrow.oci.registry.RegistryException.Reason;
import dev.burrow.oci.registry.internal.BlobFetcher;
import dev.burrow.oci.registry.internal.ManifestFetcher;
import dev.burrow.oci.registry.internal.Target;
import dev.burrow.oci.registry.internal.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls images from OCI distribution registries into a {@link BlobStore}. Thread-safe: one
 * client serves every tenant (bearer tokens are cached per host, scope and credentials).
 *
 * <p>A pull fetches the manifest the reference names (an index is walked to the platform's
 * manifest), then the config and the layers, each verified before it becomes a blob. Blobs the
 * store already has are not fetched; pulls of one blob in one process wait for a single
 * transfer. After {@link #pull} returns, {@code ImageSource.fromStore(store, top)} resolves the
 * image without the network.
 */
public final class RegistryClient {
    private static final Logger LOG = LoggerFactory.getLogger(RegistryClient.class);

    private final RegistrySettings settings;
    private final Transport transport;
    private final BlobFetcher blobs;

    public RegistryClient(RegistrySettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.transport = new Transport(settings);
        this.blobs = new BlobFetcher(transport, settings.transferAttempts());
    }

    public RegistrySettings settings() {
        return settings;
    }

    /** Pulls {@code ref} for {@code platform} (linux/amd64 when null) into {@code store}. */
    public PulledImage pull(ImageReference ref, Platform platform, Credentials creds, BlobStore store, BuildLog log)
            throws IOException {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(creds, "creds");
        Objects.requireNonNull(store, "store");
        Platform wanted = platform == null ? Platform.LINUX_AMD64 : platform;
        BuildLog out = log == null ? BuildLog.NONE : log;
        Target target = new Target(ref.host(), ref.repository(), creds);
        PartialBlobs partials = new PartialBlobs(store);
        ManifestFetcher manifests = new ManifestFetcher(transport, store, settings.maxManifestBytes());

        out.info("pulling " + ref + " (" + wanted + ")");
        ManifestFetcher.Fetched top = manifests.fetch(target, ref.manifestReference(), null);
        if (ref.digest() != null && !top.descriptor().digest().equals(ref.digest())) {
            throw new RegistryException(Reason.PROTOCOL, "manifest " + ref.manifestReference() + " from " + target.name()
                    + " does not match its digest (got " + top.descriptor().digest() + ")");
        }
        ManifestFetcher.Fetched manifest = top.isIndex()
                ? manifests.resolvePlatform(target, top, wanted, ref.toString())
                : top;
        Image image = parseManifest(target, manifest);

        long fetched = 0;
        long cached = 0;
        BlobFetcher.Result config = blobs.fetch(target, image.config(), partials, settings.maxManifestBytes());
        fetched += config.fetched();
        checkConfigPlatform(target, ref, store, image.config(), wanted);
        int i = 0;
        for (Descriptor layer : image.layers()) {
            i++;
            BlobFetcher.Result r = blobs.fetch(target, layer, partials, settings.maxBlobBytes());
            fetched += r.fetched();
            if (r.cached()) {
                cached += layer.size();
            }
            out.info("layer " + i + "/" + image.layers().size() + " " + layer.digest().shortHex() + " ("
                    + layer.size() + " bytes" + (r.cached() ? ", cached" : "") + ")");
        }
        if (config.cached()) {
            cached += image.config().size();
        }
        LOG.info("pulled {} ({}): {} bytes fetched, {} from cache", ref, wanted, fetched, cached);
        out.info("pulled " + ref + ": " + fetched + " bytes fetched, " + cached + " bytes from cache");
        return new PulledImage(top.descriptor(), manifest.descriptor(), image.config().digest(), image.layers(),
                fetched, cached);
    }

    private record Image(Descriptor config, List<Descriptor> layers) {
    }

    private static Image parseManifest(Target t, ManifestFetcher.Fetched m) throws RegistryException {
        String name = "manifest " + m.descriptor().digest();
        JsonNode json = m.json();
        JsonNode schema = json.get("schemaVersion");
        if (schema == null || schema.asInt() != 2) {
            throw new RegistryException(Reason.PROTOCOL, name + " in " + t.name() + " has schemaVersion " + schema
                    + "; Burrow reads schema version 2");
        }
        Descriptor config = ManifestFetcher.descriptor(t, json.get("config"), "the config of " + name);
        if (!config.mediaType().isEmpty() && !MediaTypes.CONFIGS.contains(config.mediaType())) {
            throw new RegistryException(Reason.PROTOCOL, name + " in " + t.name()
                    + " is not a container image (config media type " + config.mediaType() + ")");
        }
        JsonNode layers = json.get("layers");
        if (layers == null || !layers.isArray()) {
            throw new RegistryException(Reason.PROTOCOL, name + " in " + t.name() + " has no 'layers' array");
        }
        if (layers.size() > ManifestResolver.MAX_LAYERS) {
            throw new RegistryException(Reason.LIMIT, name + " in " + t.name() + " has " + layers.size()
                    + " layers; Burrow applies at most " + ManifestResolver.MAX_LAYERS);
        }
        List<Descriptor> out = new ArrayList<>();
        for (JsonNode l : layers) {
            Descriptor d = ManifestFetcher.descriptor(t, l, "a layer of " + name);
            if (!MediaTypes.LAYERS.contains(d.mediaType())) {
                throw new RegistryException(Reason.PROTOCOL, "layer " + d.digest() + " of " + name + " in " + t.name()
                        + " has unsupported media type '" + d.mediaType() + "'");
            }
            out.add(d);
        }
        return new Image(config, out);
    }

    /** The config's own os/architecture must be the wanted platform (an index's claim is not enough). */
    private void checkConfigPlatform(Target t, ImageReference ref, BlobStore store, Descriptor config, Platform wanted)
            throws IOException {
        JsonNode json;
        try (InputStream in = store.open(config.digest())) {
            json = Json.parse(in.readNBytes(settings.maxManifestBytes()), "config " + config.digest() + " of " + t.name());
        }
        String os = Json.text(json, "os");
        String arch = Json.text(json, "architecture");
        if (os == null || arch == null) {
            return; // the index's platform (or linux/amd64) stands, as for a layout
        }
        Platform actual = new Platform(os, arch, Json.text(json, "variant"));
        if (!actual.os().equals(wanted.os()) || !actual.architecture().equals(wanted.architecture())) {
            throw new RegistryException(Reason.PLATFORM, ref + " is for " + actual + " only; wanted " + wanted);
        }
    }
}
