package dev.burrow.daemon.registries;

import dev.burrow.daemon.images.ImageSourceSpec;
import dev.burrow.daemon.images.RegistryPuller;
import dev.burrow.daemon.images.SourceContext;
import dev.burrow.daemon.images.SourceResolver;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.BuildLog;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.ImageException;
import dev.burrow.oci.Platform;
import dev.burrow.oci.registry.Credentials;
import dev.burrow.oci.registry.ImageReference;
import dev.burrow.oci.registry.PulledImage;
import dev.burrow.oci.registry.RegistryClient;
import dev.burrow.oci.registry.RegistryException;
import java.io.IOException;
import java.util.Optional;

/**
 * Registry pulls with the pulling tenant's own login for the reference's host (anonymous without
 * one): {@code registry} sources, and a Dockerfile's {@code FROM host/repo:tag}. The blob store
 * is shared by every tenant, but the manifest is fetched from the registry with this tenant's
 * credentials on every pull, so a cached blob is only ever used through a manifest the tenant
 * itself was allowed to read. Failures become {@link SourceFailure}s naming the registry and
 * why; nothing logged holds a secret.
 */
public final class RegistryPulls implements RegistryPuller, SourceResolver {
    /** The only platform that boots (SPEC §1). */
    public static final Platform PLATFORM = Platform.LINUX_AMD64;

    private final RegistryClient client;
    private final RegistryCredentials logins;
    private final BlobStore store;

    /** Pulls into {@code store} (the daemon's shared one) with {@code client}, using each tenant's {@code logins}. */
    public RegistryPulls(RegistryClient client, RegistryCredentials logins, BlobStore store) {
        this.client = client;
        this.logins = logins;
        this.store = store;
    }

    @Override
    public Descriptor resolve(ImageSourceSpec source, SourceContext context) throws SourceFailure, IOException {
        if (!(source instanceof ImageSourceSpec.Registry r)) {
            throw new IllegalArgumentException("a registry resolver got a " + source.getClass().getSimpleName() + " source");
        }
        BuildLog log = context.log();
        return pull(context.tenant(), r.ref(), r.platform(), log, context.blobs());
    }

    @Override
    public Descriptor pull(String tenant, String ref, String platform, BuildLog log) throws SourceFailure, IOException {
        return pull(tenant, ref, platform, log, store);
    }

    private Descriptor pull(String tenant, String ref, String platform, BuildLog log, BlobStore into)
            throws SourceFailure, IOException {
        ImageReference reference;
        try {
            reference = ImageReference.parse(ref);
        } catch (ImageException e) {
            throw new SourceFailure(e.getMessage(), e);
        }
        Platform wanted = platform(platform);
        String host = reference.host();
        Optional<RegistryLogin> login;
        try {
            login = logins.login(tenant, host);
        } catch (IOException e) {
            throw new SourceFailure(e.getMessage(), e);
        }
        log.info("registry " + host + ": " + login.map(RegistryPulls::describe).orElse("anonymous (no login stored for " + host + ")"));
        try {
            PulledImage pulled = client.pull(reference, wanted, credentials(login), into, log);
            return pulled.top();
        } catch (RegistryException e) {
            throw new SourceFailure(message(reference, wanted, login, e), e);
        }
    }

    /** {@code os/arch[/variant]}; null = linux/amd64. */
    static Platform platform(String text) throws SourceFailure {
        if (text == null) {
            return PLATFORM;
        }
        String[] parts = text.split("/", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new SourceFailure("platform '" + text + "' is not os/architecture[/variant]");
        }
        return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
    }

    private static Credentials credentials(Optional<RegistryLogin> login) {
        if (login.isEmpty()) {
            return Credentials.anonymous();
        }
        RegistryLogin l = login.get();
        return l.kind() == RegistryLogin.Kind.BASIC ? Credentials.basic(l.username(), l.secret()) : Credentials.token(l.secret());
    }

    private static String describe(RegistryLogin l) {
        return l.kind() == RegistryLogin.Kind.BASIC ? "the tenant's login (user " + l.username() + ")" : "the tenant's login (token)";
    }

    /** What the version's reason says: the registry, and why, in the tenant's terms. */
    static String message(ImageReference ref, Platform wanted, Optional<RegistryLogin> login, RegistryException e) {
        String host = ref.host();
        return switch (e.reason()) {
            case UNAUTHORIZED -> login.isEmpty()
                    ? "registry " + host + " refused an anonymous pull of " + ref + ": this tenant has no login for " + host
                            + " (burrow registry login " + host + ", or PUT /v1/registries/" + host + ")"
                    : "registry " + host + " refused the credentials"
                            + (login.get().kind() == RegistryLogin.Kind.BASIC ? " of user " + login.get().username() : " (token)")
                            + ": " + e.getMessage();
            case FORBIDDEN -> "registry " + host + " does not let "
                    + login.map(l -> l.kind() == RegistryLogin.Kind.BASIC ? "user " + l.username() : "this token").orElse("anonymous users")
                    + " pull " + ref.name() + ": " + e.getMessage();
            case NOT_FOUND -> "registry " + host + " has no " + ref + ": " + e.getMessage();
            case PLATFORM -> "registry " + host + " has no " + wanted + " image for " + ref + ": " + e.getMessage();
            case UNREACHABLE -> "registry " + host + " could not be reached: " + e.getMessage();
            case LIMIT, PROTOCOL -> "pulling " + ref + " from registry " + host + " failed: " + e.getMessage();
        };
    }
}
