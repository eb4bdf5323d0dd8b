package dev.burrow.daemon.api;

import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.registries.RegistryCredentials;
import dev.burrow.daemon.registries.RegistryEntry;
import dev.burrow.daemon.registries.RegistryHost;
import dev.burrow.daemon.registries.RegistryLogin;
import java.util.List;
import java.util.Map;

/**
 * {@code /v1/registries} (SPEC §3): the tenant's registry logins, one per host. Secrets are
 * write-only: a PUT takes a password or a token, every answer shows only the kind and the user
 * name; no message ever echoes a secret. Another tenant's host answers 404 like a missing one.
 */
final class RegistryRoutes {
    /** The longest user name accepted. */
    static final int MAX_USERNAME_CHARS = 255;
    /** The longest password or token accepted (registry tokens are JWTs of a few KiB). */
    static final int MAX_SECRET_CHARS = 16 * 1024;

    record LoginBody(String username, String password, String token) {}

    record EntryView(String host, String kind, String username, String updatedAt) {
        static EntryView of(RegistryEntry e) {
            return new EntryView(e.host(), e.kind().json(), e.username(), e.updatedAt().toString());
        }
    }

    private final RegistryCredentials credentials;

    RegistryRoutes(RegistryCredentials credentials) {
        this.credentials = credentials;
    }

    void register(ApiServer api) {
        api.route("GET", "/v1/registries", this::list);
        api.route("GET", "/v1/registries/{host}", this::get);
        api.route("PUT", "/v1/registries/{host}", this::put);
        api.route("DELETE", "/v1/registries/{host}", this::delete);
    }

    private void list(Call c) throws Exception {
        Queries.only(c, List.of("limit", "cursor"));
        c.send(200, Queries.page(c, credentials.list(c.tenant()).stream().map(EntryView::of).toList()));
    }

    private void get(Call c) throws Exception {
        String host = host(c);
        c.send(200, EntryView.of(credentials.get(c.tenant(), host).orElseThrow(() -> notFound(host))));
    }

    private void put(Call c) throws Exception {
        LoginBody body = c.json(LoginBody.class);
        FieldErrors errors = new FieldErrors();
        RegistryHost.problem(c.param("host")).ifPresent(p -> errors.add("host", p));
        RegistryLogin login = login(body, errors);
        errors.throwIfAny();
        RegistryEntry stored = credentials.put(c.tenant(), c.param("host"), login)
                .orElseThrow(() -> new ApiException(429, "quota-exceeded", null, "a tenant keeps at most "
                        + RegistryCredentials.MAX_PER_TENANT + " registry logins; log out of one first",
                        Map.of("quota", "registries", "limit", RegistryCredentials.MAX_PER_TENANT,
                                "current", RegistryCredentials.MAX_PER_TENANT)));
        c.send(200, EntryView.of(stored));
    }

    private void delete(Call c) throws Exception {
        String host = host(c);
        if (!credentials.delete(c.tenant(), host)) {
            throw notFound(host);
        }
        c.response.setStatus(204);
    }

    /** username + password (basic) or token (bearer), nothing else; every faulty field named, no secret echoed. */
    private static RegistryLogin login(LoginBody b, FieldErrors errors) {
        boolean basic = b.username() != null || b.password() != null;
        if (b.token() != null && basic) {
            errors.add(b.username() != null ? "username" : "password",
                    "give username and password (basic) or token (bearer), not both");
            return null;
        }
        if (b.token() == null && !basic) {
            errors.add("password", "give username and password (basic) or token (bearer)");
            return null;
        }
        if (b.token() != null) {
            secret(errors, "token", b.token());
            return errors.isEmpty() ? RegistryLogin.token(b.token()) : null;
        }
        if (b.username() == null) {
            errors.add("username", "username is required with a password");
        } else if (b.username().isEmpty() || b.username().length() > MAX_USERNAME_CHARS) {
            errors.add("username", "username must be 1 to " + MAX_USERNAME_CHARS + " characters");
        } else if (b.username().indexOf(':') >= 0 || hasControl(b.username())) {
            errors.add("username", "username cannot contain ':' or control characters (HTTP basic authentication)");
        }
        if (b.password() == null) {
            errors.add("password", "password is required with a username");
        } else {
            secret(errors, "password", b.password());
        }
        return errors.isEmpty() ? RegistryLogin.basic(b.username(), b.password()) : null;
    }

    private static void secret(FieldErrors errors, String field, String value) {
        if (value.isEmpty() || value.length() > MAX_SECRET_CHARS) {
            errors.add(field, field + " must be 1 to " + MAX_SECRET_CHARS + " characters");
        } else if (hasControl(value)) {
            errors.add(field, field + " cannot contain control characters (a trailing newline from a file?)");
        }
    }

    private static boolean hasControl(String s) {
        return s.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f);
    }

    private static String host(Call c) {
        String host = c.param("host");
        RegistryHost.problem(host).ifPresent(p -> {
            throw ApiException.badRequest("host", p);
        });
        return host;
    }

    private static NotFoundException notFound(String host) {
        return new NotFoundException("no login for registry " + Queries.printable(host));
    }
}
