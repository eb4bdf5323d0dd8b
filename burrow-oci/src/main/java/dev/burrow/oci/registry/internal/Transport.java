package dev.burrow.oci.registry.internal;

import dev.burrow.oci.registry.RegistryException;
import dev.burrow.oci.registry.RegistryException.Reason;
import dev.burrow.oci.registry.RegistrySettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Sends GETs to a registry: picks the scheme (HTTPS, or HTTP for loopback and insecure hosts),
 * answers {@code 401} challenges through the {@link Authenticator}, follows redirects (at most
 * {@link RegistrySettings#maxRedirects()}, never to plain HTTP on a host that must use HTTPS, and
 * without the {@code Authorization} header once they leave the registry's origin) and maps
 * refusals to {@link RegistryException}s that name the registry and what was asked for.
 */
public final class Transport {
    private static final List<Integer> REDIRECTS = List.of(301, 302, 303, 307, 308);

    private final RegistrySettings settings;
    private final HttpClient client;
    private final Authenticator authenticator;

    public Transport(RegistrySettings settings) {
        this.settings = settings;
        this.client = settings.httpClient() != null ? settings.httpClient()
                : HttpClient.newBuilder()
                        .connectTimeout(settings.connectTimeout())
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .build();
        this.authenticator = new Authenticator(this);
    }

    RegistrySettings settings() {
        return settings;
    }

    /** An answered request; close it to release the connection. */
    public record Response(int status, HttpHeaders headers, StallWatch.Body body, URI uri) implements AutoCloseable {
        public long contentLength() {
            return headers.firstValueAsLong("Content-Length").orElse(-1);
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    /** The base URI of a registry's API: {@code https://host/v2/} (HTTP when allowed). */
    public URI base(String host) throws RegistryException {
        URI probe = URI.create("https://" + host + "/");
        String scheme = settings.allowsPlainHttp(probe.getHost(), probe.getPort()) ? "http" : "https";
        return URI.create(scheme + "://" + host + "/v2/");
    }

    /**
     * GETs {@code path} (relative to {@code /v2/<repository>/}) as {@code target}'s credentials allow; a
     * status other than 200 (or 206 when {@code headers} asks a range) is an error naming
     * {@code what}.
     */
    public Response get(Target target, String path, Map<String, String> headers, String what) throws IOException {
        URI uri = base(target.host()).resolve(target.repository() + "/" + path);
        String auth = authenticator.cached(target);
        boolean fresh = false;
        while (true) {
            Response r = follow(uri, headers, auth, target, what);
            if (r.status() != 401) {
                return check(r, target, what);
            }
            String challenge = r.headers().firstValue("WWW-Authenticate").orElse(null);
            r.close();
            if (fresh) {
                throw new RegistryException(Reason.UNAUTHORIZED, "registry refused the credentials for " + target.host()
                        + " (" + what + " in " + target.name() + ")");
            }
            authenticator.forget(target);
            auth = authenticator.authenticate(target, challenge, what);
            fresh = true;
        }
    }

    /** Sends a GET, following redirects; the {@code Authorization} header goes only to the first origin. */
    Response follow(URI start, Map<String, String> headers, String authorization, Target target, String what)
            throws IOException {
        URI uri = start;
        for (int hop = 0; ; hop++) {
            checkScheme(uri, target, what);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(settings.readTimeout()).GET();
            headers.forEach(b::header);
            if (authorization != null && sameOrigin(uri, start)) {
                b.header("Authorization", authorization);
            }
            HttpResponse<InputStream> resp = send(b.build(), target, what);
            Response r = new Response(resp.statusCode(), resp.headers(),
                    StallWatch.watch(resp.body(), settings.readTimeout()), uri);
            if (!REDIRECTS.contains(r.status())) {
                return r;
            }
            String location = r.headers().firstValue("Location").orElse(null);
            r.close();
            if (location == null) {
                throw new RegistryException(Reason.PROTOCOL, target.host() + " redirected " + what + " in "
                        + target.name() + " without a Location");
            }
            if (hop >= settings.maxRedirects()) {
                throw new RegistryException(Reason.LIMIT, target.host() + " redirected " + what + " in " + target.name()
                        + " more than " + settings.maxRedirects() + " times");
            }
            try {
                uri = uri.resolve(location);
            } catch (IllegalArgumentException e) {
                throw new RegistryException(Reason.PROTOCOL, target.host() + " redirected " + what + " in "
                        + target.name() + " to an invalid location");
            }
        }
    }

    private HttpResponse<InputStream> send(HttpRequest request, Target target, String what) throws IOException {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw new RegistryException(Reason.UNREACHABLE, request.uri().getHost() + " did not answer within "
                    + settings.readTimeout().toSeconds() + " s (" + what + " in " + target.name() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(Reason.UNREACHABLE, "interrupted while fetching " + what + " in " + target.name(), e);
        } catch (IOException e) {
            throw new RegistryException(Reason.UNREACHABLE, "could not reach " + request.uri().getHost()
                    + " for " + what + " in " + target.name() + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        }
    }

    void checkScheme(URI uri, Target target, String what) throws RegistryException {
        String scheme = uri.getScheme();
        if ("https".equals(scheme)) {
            return;
        }
        if ("http".equals(scheme) && uri.getHost() != null && settings.allowsPlainHttp(uri.getHost(), uri.getPort())) {
            return;
        }
        throw new RegistryException(Reason.PROTOCOL, "refusing " + (scheme == null ? "a relative URL" : scheme + "://"
                + uri.getHost()) + " for " + what + " in " + target.name()
                + ": only HTTPS is allowed there (plain HTTP only for loopback and insecure registries)");
    }

    static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
    }

    private static Response check(Response r, Target target, String what) throws IOException {
        int s = r.status();
        if (s == 200 || s == 206) {
            return r;
        }
        String detail = ErrorBody.summary(r.body());
        r.close();
        String where = what + " in " + target.name();
        throw switch (s) {
            case 403 -> new RegistryException(Reason.FORBIDDEN, target.host() + " denied access to " + where + detail);
            case 404 -> new RegistryException(Reason.NOT_FOUND, where + " was not found" + detail);
            case 429 -> new RegistryException(Reason.UNREACHABLE, target.host() + " is rate-limiting pulls (429) of " + where + detail);
            default -> s >= 500
                    ? new RegistryException(Reason.UNREACHABLE, target.host() + " failed with " + s + " for " + where + detail)
                    : new RegistryException(Reason.PROTOCOL, target.host() + " answered " + s + " for " + where + detail);
        };
    }
}
