package dev.burrow.daemon.api;

import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.microvms.lifecycle.MicroVmState;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.daemon.tokens.Issued;
import dev.burrow.daemon.tokens.PortSet;
import dev.burrow.daemon.tokens.Scope;
import dev.burrow.daemon.tokens.Tokens;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Request;

/**
 * {@code POST /v1/microvms/{id}/tokens} (SPEC §3): a short-lived token for one microVM's ingress
 * ports or its terminal. Every faulty field is named before the microVM is looked up.
 */
final class TokenRoutes {

    record TokenBody(Object ports, Integer expiresInSeconds, String scope) {}

    private final MicroVmService microvms;
    private final Tokens tokens;
    private final ApiLimits limits;

    TokenRoutes(MicroVmService microvms, Tokens tokens, ApiLimits limits) {
        this.microvms = microvms;
        this.tokens = tokens;
        this.limits = limits;
    }

    void register(ApiServer api) {
        api.route("POST", "/v1/microvms/{id}/tokens", this::create);
    }

    private void create(Call c) throws IOException {
        TokenBody body = c.jsonOr(TokenBody.class, new TokenBody(null, null, null));
        FieldErrors errors = new FieldErrors();
        Scope scope = Scope.INGRESS;
        if (body.scope() != null) {
            scope = Scope.parse(body.scope()).orElse(null);
            if (scope == null) {
                errors.add("scope", "scope must be \"ingress\" (the endpoint's ports) or \"pty\" (the terminal); got '"
                        + Queries.printable(body.scope()) + "'");
            }
        }
        long lifetime = body.expiresInSeconds() == null ? Tokens.DEFAULT_LIFETIME.toSeconds() : body.expiresInSeconds();
        if (lifetime < Tokens.MIN_LIFETIME.toSeconds() || lifetime > Tokens.MAX_LIFETIME.toSeconds()) {
            errors.add("expiresInSeconds", "expiresInSeconds must be between " + Tokens.MIN_LIFETIME.toSeconds() + " and "
                    + Tokens.MAX_LIFETIME.toSeconds() + "; got " + lifetime);
        }
        PortSet ports = null;
        if (body.ports() != null) {
            if (scope == Scope.PTY) {
                errors.add("ports", "ports apply to ingress tokens only; leave them out of a pty token");
            } else {
                ports = PortSet.parse(body.ports(), "ports", errors::add);
            }
        }
        errors.throwIfAny();
        MicroVmRecord vm = openMicroVm(microvms, c.tenant(), c.param("id"));
        MicroVmService.IngressPorts known = microvms.ingressPorts(vm);
        if (scope == Scope.INGRESS) {
            if (ports == null) {
                ports = PortSet.of(known.defaultPort());
            }
            refuseHooksPort(ports, known, "ports");
        } else {
            ports = PortSet.all(); // a pty token opens no port; its grant still needs a value
        }
        c.send(201, view(issue(tokens, c.tenant(), vm.id(), scope, ports, Duration.ofSeconds(lifetime)), c, known));
    }

    /** The caller's microVM a token is for: not TERMINATED or FAILED (409), another tenant's is a 404. */
    static MicroVmRecord openMicroVm(MicroVmService microvms, String tenant, String id) {
        MicroVmRecord vm = microvms.get(tenant, id);
        if (MicroVmState.valueOf(vm.state()).terminal()) {
            throw new ConflictException("microVM " + vm.id() + " is " + vm.state() + ": a token for it would open nothing");
        }
        return vm;
    }

    /** A token naming the image's hooks port is refused (SPEC §1: never reachable through ingress); {@code field} names the request's port list. */
    static void refuseHooksPort(PortSet ports, MicroVmService.IngressPorts known, String field) {
        if (known.hooksPort().isPresent() && ports.toJson().contains(known.hooksPort().getAsInt())) {
            throw ApiException.badRequest(field, "port " + known.hooksPort().getAsInt()
                    + " is the image's lifecycle hooks port, which is never reachable through ingress");
        }
    }

    /** Issues a token; too many live ones for the microVM is a 429 naming the quota. */
    static Issued issue(Tokens tokens, String tenant, String microVmId, Scope scope, PortSet ports, Duration lifetime) {
        try {
            return tokens.issue(tenant, microVmId, scope, ports, lifetime);
        } catch (Tokens.TooManyTokensException e) {
            throw new ApiException(429, "quota-exceeded", null, e.getMessage(),
                    Map.of("quota", "tokensPerMicroVm", "limit", e.limit, "current", e.current));
        }
    }

    private Map<String, Object> view(Issued issued, Call c, MicroVmService.IngressPorts known) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("token", issued.token());
        out.put("scope", issued.grant().scope().json());
        String id = issued.grant().microVmId();
        int apiPort = Request.getServerPort(c.request);
        if (issued.grant().scope() == Scope.INGRESS) {
            out.put("ports", issued.grant().ports().toJson());
            int port = issued.grant().ports().allows(known.defaultPort()) ? known.defaultPort() : issued.grant().ports().first();
            out.put("expiresAt", issued.grant().expiresAt().toString());
            out.put("url", "http://" + port + "-" + id + "." + limits.domain() + ":" + apiPort + "/");
        } else {
            out.put("ports", List.of());
            out.put("expiresAt", issued.grant().expiresAt().toString());
            out.put("url", "http://" + Request.getServerName(c.request) + ":" + apiPort + "/shell/" + id + "?token=" + issued.token());
        }
        return out;
    }
}
