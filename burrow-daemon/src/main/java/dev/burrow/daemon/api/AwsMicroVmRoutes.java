package dev.burrow.daemon.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.daemon.aws.Arns;
import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.ingress.Ingress;
import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.microvms.RunRequest;
import dev.burrow.daemon.microvms.lifecycle.IdlePolicy;
import dev.burrow.daemon.microvms.lifecycle.MicroVmState;
import dev.burrow.daemon.microvms.lifecycle.PolicyJson;
import dev.burrow.daemon.store.IdempotencyKeys;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.daemon.store.Page;
import dev.burrow.daemon.tokens.Issued;
import dev.burrow.daemon.tokens.PortSet;
import dev.burrow.daemon.tokens.Scope;
import dev.burrow.daemon.tokens.TokenSubprotocols;
import dev.burrow.daemon.tokens.Tokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * The microVM operations of the Lambda MicroVMs door (SPEC §8), onto the same MicroVmService,
 * Tokens and ingress as {@code /v1}: AWS's field names and ranges are checked here (every faulty
 * field named in one ValidationException), then Burrow's own checks run on the mapped request
 * ({@link MicroVmRoutes#idlePolicy}, the duration range, labels) so both doors refuse the same
 * things. What AWS keeps on a microVM that Burrow has no column for (the ingress connectors, the
 * execution role) is kept as {@code burrow.aws.*} labels. docs/aws-compat-microvms.md maps every
 * field.
 */
final class AwsMicroVmRoutes {

    /** The model's RunHookPayload: at most this many characters. */
    static final int MAX_RUN_HOOK_PAYLOAD = 4096;
    /** The model's range of maximumDurationInSeconds (Burrow's server range narrows it). */
    static final int MODEL_MIN_DURATION = 1;
    static final int MODEL_MAX_DURATION = 28_800;
    /** The model's minimum maxIdleDurationSeconds (Burrow's server minimum may be higher). */
    static final int MODEL_MIN_IDLE = 60;
    static final int MAX_CLIENT_TOKEN = 128;
    static final int MAX_TOKEN_MINUTES = 60;
    static final int MAX_IDENTIFIER = 256;
    static final int MAX_VERSION = 2048;
    static final int MAX_LOG_NAME = 512;
    /** A label value's limit (RunRequest): the longest execution role ARN Burrow can keep. */
    static final int MAX_ROLE_ARN = RunRequest.MAX_LABEL_VALUE;
    static final String LABEL_INGRESS = "burrow.aws.ingress";
    static final String LABEL_ROLE = "burrow.aws.execution-role";
    /** The idempotency record of a RunMicrovm clientToken, beside /v1's Idempotency-Key records of the tenant. */
    private static final String CLIENT_TOKEN_KEY = "aws-run-client-token:";
    private static final String RUN_PATH = "/2025-09-09/microvms";
    private static final Pattern ROLE_ARN = Pattern.compile("arn:aws[a-z\\-]*:iam::[0-9]{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+");
    private static final Pattern LOG_GROUP = Pattern.compile("[a-zA-Z0-9_\\-/.#]+");
    private static final Pattern LOG_STREAM = Pattern.compile("[^:*]*");
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,9}");
    /** Burrow's idle policy field names in the messages of {@link MicroVmRoutes#idlePolicy}, as AWS names them. */
    private static final Map<String, String> IDLE_NAMES = Map.of("idlePolicy.maxIdleSeconds", "idlePolicy.maxIdleDurationSeconds",
            "idlePolicy.suspendedSeconds", "idlePolicy.suspendedDurationSeconds", "idlePolicy.autoResume", "idlePolicy.autoResumeEnabled");

    private final MicroVmService microvms;
    private final Tokens tokens;
    private final IdempotencyKeys idempotency;

    /** A Burrow image name back to the name its AWS caller gave it (AwsImageNames maps the other way). */
    interface Spellings {
        String awsName(String tenantId, String burrowName);

        Spellings SAME = (tenant, name) -> name;
    }

    private final Spellings spellings;

    AwsMicroVmRoutes(MicroVmService microvms, Tokens tokens, IdempotencyKeys idempotency) {
        this(microvms, tokens, idempotency, Spellings.SAME);
    }

    AwsMicroVmRoutes(MicroVmService microvms, Tokens tokens, IdempotencyKeys idempotency, Spellings spellings) {
        this.spellings = spellings;
        this.microvms = microvms;
        this.tokens = tokens;
        this.idempotency = idempotency;
    }

    void register(ApiServer api) {
        api.awsRoute("POST", RUN_PATH, this::runMicrovm);
        api.awsRoute("GET", RUN_PATH, this::listMicrovms);
        api.awsRoute("GET", "/2025-09-09/microvms/{microvmIdentifier}", this::getMicrovm);
        api.awsRoute("DELETE", "/2025-09-09/microvms/{microvmIdentifier}", this::terminateMicrovm);
        api.awsRoute("POST", "/2025-09-09/microvms/{microvmIdentifier}/suspend", this::suspendMicrovm);
        api.awsRoute("POST", "/2025-09-09/microvms/{microvmIdentifier}/resume", this::resumeMicrovm);
        api.awsRoute("POST", "/2025-09-09/microvms/{microvmIdentifier}/auth-token", this::createMicrovmAuthToken);
        api.awsRoute("POST", "/2025-09-09/microvms/{microvmIdentifier}/shell-auth-token", this::createMicrovmShellAuthToken);
    }

    // ---- RunMicrovm -----------------------------------------------------------------------

    /** What a RunMicrovm request maps to, every field checked. */
    record Run(RunRequest request, String clientToken) {}

    /** RunMicrovm: waits for RUNNING (the run hook done), as /v1's default; a clientToken makes a retry answer the same microVM. */
    private void runMicrovm(Call c) throws Exception {
        JsonNode body = body(c);
        Run run = runRequest(body, c.aws.accountId(), microvms.minDurationSeconds(), microvms.maxDurationSeconds());
        if (run.clientToken() == null) {
            MicroVmRecord vm = microvms.run(c.tenant(), run.request(), c.requestId, true);
            MicroVmRoutes.startHeader(c, microvms, vm.id());
            c.sendAws(200, view(c, vm));
            return;
        }
        String key = CLIENT_TOKEN_KEY + run.clientToken();
        switch (idempotency.reserve(c.tenant(), key, "POST", RUN_PATH, canonicalHash(body))) {
            case IdempotencyKeys.Reservation.Replay r -> {
                String id = AwsJson.MAPPER.readTree(r.stored().response()).path("microvmId").asText();
                c.sendAws(200, view(c, microvms.get(c.tenant(), id)));
            }
            case IdempotencyKeys.Reservation.Mismatch m -> throw new AwsError("ConflictException", 409,
                    "clientToken " + run.clientToken() + " was used for a different RunMicrovm request; use a new clientToken for a new microVM");
            case IdempotencyKeys.Reservation.InProgress p -> throw new AwsError("ConflictException", 409,
                    "a RunMicrovm request with clientToken " + run.clientToken() + " is still being handled; retry shortly");
            case IdempotencyKeys.Reservation.Proceed p -> {
                MicroVmRecord vm;
                try {
                    vm = microvms.run(c.tenant(), run.request(), c.requestId, true);
                } catch (RuntimeException | Error e) {
                    idempotency.release(c.tenant(), key); // a retry runs again, as /v1's Idempotency-Key
                    throw e;
                }
                idempotency.complete(c.tenant(), key, 200, AwsJson.MAPPER.writeValueAsString(Map.of("microvmId", vm.id())));
                MicroVmRoutes.startHeader(c, microvms, vm.id());
                c.sendAws(200, view(c, vm));
            }
        }
    }

    /**
     * A RunMicrovm body as Burrow's run: every AWS field checked against the model and Burrow's
     * own ranges ({@code minDuration}..{@code maxDuration} of the server), all faults in one
     * ValidationException.
     */
    static Run runRequest(JsonNode body, String account, int minDuration, int maxDuration) {
        FieldErrors errors = new FieldErrors();
        String image = imageName(text(body, "imageIdentifier", MAX_IDENTIFIER, true, errors), account, "imageIdentifier", errors);
        Integer version = version(text(body, "imageVersion", MAX_VERSION, false, errors), "imageVersion", errors);
        String role = text(body, "executionRoleArn", 2048, false, errors);
        if (role != null && !ROLE_ARN.matcher(role).matches()) {
            errors.add("executionRoleArn", "executionRoleArn must be an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>); got '"
                    + Queries.printable(role) + "'");
        } else if (role != null && role.length() > MAX_ROLE_ARN) {
            errors.add("executionRoleArn", "executionRoleArn may be at most " + MAX_ROLE_ARN + " characters on Burrow (it is kept as a label); got "
                    + role.length());
        }
        int lo = Math.max(MODEL_MIN_DURATION, minDuration);
        int hi = Math.min(MODEL_MAX_DURATION, maxDuration);
        Integer duration = integer(body, "maximumDurationInSeconds", errors);
        if (duration != null && (duration < lo || duration > hi)) {
            errors.add("maximumDurationInSeconds", "maximumDurationInSeconds must be between " + lo + " and " + hi + "; got " + duration);
        }
        IdlePolicy policy = idlePolicy(body.path("idlePolicy"), Math.max(MODEL_MIN_IDLE, minDuration),
                duration == null ? hi : duration, errors);
        logging(body.path("logging"), errors);
        String payload = text(body, "runHookPayload", 0, Integer.MAX_VALUE, false, errors, ""); // its limit counts code points, below
        if (payload != null && payload.codePointCount(0, payload.length()) > MAX_RUN_HOOK_PAYLOAD) {
            errors.add("runHookPayload", "runHookPayload must be at most " + MAX_RUN_HOOK_PAYLOAD + " characters; got "
                    + payload.codePointCount(0, payload.length()));
        }
        List<String> ingress = AwsConnectors.parse(body.get("ingressNetworkConnectors"), "ingressNetworkConnectors", true, errors);
        List<String> egress = AwsConnectors.parse(body.get("egressNetworkConnectors"), "egressNetworkConnectors", false, errors);
        String clientToken = text(body, "clientToken", MAX_CLIENT_TOKEN, false, errors);
        throwIfAny(errors);
        Map<String, String> labels = new LinkedHashMap<>();
        if (ingress != null && !ingress.isEmpty()) {
            labels.put(LABEL_INGRESS, AwsConnectors.label(ingress));
        }
        if (role != null) {
            labels.put(LABEL_ROLE, role);
        }
        return new Run(new RunRequest(image, version, duration, Map.of(), labels, policy, payload, AwsConnectors.network(egress)), clientToken);
    }

    /** AWS's idle policy (all three fields required by the model) through /v1's own checks; null when absent. */
    private static IdlePolicy idlePolicy(JsonNode p, int minIdle, int lifetime, FieldErrors errors) {
        if (p.isMissingNode()) {
            return null;
        }
        if (!p.isObject()) {
            errors.add("idlePolicy", "idlePolicy must be an object {maxIdleDurationSeconds, suspendedDurationSeconds, autoResumeEnabled}");
            return null;
        }
        Map<String, Object> burrow = new LinkedHashMap<>();
        FieldErrors mine = new FieldErrors();
        for (String[] pair : new String[][] {{"maxIdleDurationSeconds", "maxIdleSeconds"}, {"suspendedDurationSeconds", "suspendedSeconds"},
                {"autoResumeEnabled", "autoResume"}}) {
            JsonNode v = p.get(pair[0]);
            if (v == null && !pair[1].equals("maxIdleSeconds")) { // /v1's own check names a missing maxIdleSeconds
                mine.add("idlePolicy." + pair[0], "idlePolicy." + pair[0] + " is required");
            } else if (v != null) {
                burrow.put(pair[1], v.isInt() ? (Object) v.intValue() : v.isBoolean() ? (Object) v.booleanValue() : v.toString());
            }
        }
        IdlePolicy policy = MicroVmRoutes.idlePolicy(burrow, minIdle, lifetime, mine);
        for (Map<String, String> e : mine.entries()) {
            String field = e.get("field");
            String detail = e.get("detail");
            for (Map.Entry<String, String> n : IDLE_NAMES.entrySet()) {
                field = field.replace(n.getKey(), n.getValue());
                detail = detail.replace(n.getKey() + " ", n.getValue() + " ");
            }
            errors.add(field, detail);
        }
        return mine.isEmpty() ? policy : null;
    }

    /** The model's Logging: exactly one of {@code disabled} and {@code cloudWatch}; accepted and checked, not acted on (Burrow keeps the console log). */
    private static void logging(JsonNode logging, FieldErrors errors) {
        if (logging.isMissingNode()) {
            return;
        }
        boolean disabled = logging.has("disabled");
        boolean cloudWatch = logging.has("cloudWatch");
        if (!logging.isObject() || disabled == cloudWatch) {
            errors.add("logging", "logging must name exactly one of disabled ({}) and cloudWatch ({logGroup, logStream})");
            return;
        }
        if (cloudWatch) {
            JsonNode cw = logging.get("cloudWatch");
            String group = text(cw, "logGroup", 1, MAX_LOG_NAME, false, errors, "logging.cloudWatch.");
            String stream = text(cw, "logStream", 1, MAX_LOG_NAME, false, errors, "logging.cloudWatch.");
            if (group != null && !LOG_GROUP.matcher(group).matches()) {
                errors.add("logging.cloudWatch.logGroup", "logging.cloudWatch.logGroup must match [a-zA-Z0-9_\\-/.#]+");
            }
            if (stream != null && !LOG_STREAM.matcher(stream).matches()) {
                errors.add("logging.cloudWatch.logStream", "logging.cloudWatch.logStream must not contain ':' or '*'");
            }
        }
    }

    // ---- Get / List -------------------------------------------------------------------------

    private void getMicrovm(Call c) throws IOException {
        String id = id(c);
        c.sendAws(200, view(c, onMicroVm(id, () -> microvms.get(c.tenant(), id))));
    }

    /** ListMicrovms: the tenant's microVMs in id order (terminated ones too), optionally of one image (and version). */
    private void listMicrovms(Call c) throws IOException {
        int max = AwsPaging.maxResults(c);
        String next = AwsPaging.nextToken(c);
        FieldErrors errors = new FieldErrors();
        String imageFilter = c.query("imageIdentifier");
        String image = imageFilter == null ? null : imageName(imageFilter, c.aws.accountId(), "imageIdentifier", errors);
        Integer version = version(c.query("imageVersion"), "imageVersion", errors);
        if (next != null && !Queries.isCursor(next)) {
            errors.add("nextToken", "nextToken must be the nextToken of the previous page, as returned");
        }
        throwIfAny(errors);
        Page<MicroVmRecord> page = image == null && version == null
                ? microvms.list(c.tenant(), null, null, max, next)
                : microvms.listOfImage(c.tenant(), image, version, max, next);
        List<Map<String, Object>> items = new ArrayList<>();
        for (MicroVmRecord r : page.items()) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("microvmId", r.id());
            item.put("state", state(r));
            item.put("imageArn", Arns.image(c.aws.region(), c.aws.accountId(), spellings.awsName(c.tenant(), r.image())));
            item.put("imageVersion", Integer.toString(r.version()));
            item.put("startedAt", AwsJson.timestamp(r.createdAt()));
            items.add(item);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", items);
        out.put("nextToken", page.nextCursor());
        c.sendAws(200, out);
    }

    // ---- Suspend / Resume / Terminate --------------------------------------------------------

    /** Idempotent (the model says so): a TERMINATED or FAILED one answers 200 again. */
    private void terminateMicrovm(Call c) throws IOException {
        String id = id(c);
        onMicroVm(id, () -> microvms.terminate(c.tenant(), id, c.requestId));
        c.sendAws(200, Map.of());
    }

    /** Idempotent: a SUSPENDED one answers 200; any state but RUNNING or SUSPENDED is a ConflictException. */
    private void suspendMicrovm(Call c) throws IOException {
        String id = id(c);
        onMicroVm(id, () -> microvms.suspend(c.tenant(), id, c.requestId));
        c.sendAws(200, Map.of());
    }

    /** Idempotent: a RUNNING one answers 200; any state but SUSPENDED or RUNNING is a ConflictException. */
    private void resumeMicrovm(Call c) throws IOException {
        String id = id(c);
        onMicroVm(id, () -> microvms.resume(c.tenant(), id, c.requestId));
        c.sendAws(200, Map.of());
    }

    // ---- tokens -----------------------------------------------------------------------------

    /**
     * CreateMicrovmAuthToken: an {@code ingress} token for the ports listed; {@code authToken} is
     * {@code {"X-aws-proxy-auth": <token>}}, the header a client sends to {@code endpoint}.
     */
    private void createMicrovmAuthToken(Call c) throws IOException {
        JsonNode body = body(c);
        FieldErrors errors = new FieldErrors();
        Integer minutes = minutes(body, errors);
        PortSet ports = allowedPorts(body.get("allowedPorts"), errors);
        throwIfAny(errors);
        String id = id(c);
        MicroVmRecord vm = onMicroVm(id, () -> TokenRoutes.openMicroVm(microvms, c.tenant(), id));
        MicroVmService.IngressPorts known = microvms.ingressPorts(vm);
        TokenRoutes.refuseHooksPort(ports, known, "allowedPorts");
        Issued issued = TokenRoutes.issue(tokens, c.tenant(), vm.id(), Scope.INGRESS, ports, Duration.ofMinutes(minutes));
        c.sendAws(200, Map.of("authToken", Map.of(Ingress.AWS_TOKEN_HEADER, issued.token())));
    }

    /**
     * CreateMicrovmShellAuthToken: a {@code pty} token, for a microVM run with SHELL_INGRESS only.
     * Its parts say how to open a shell with it: {@code shellUrl} (the browser terminal, the token
     * traded once for a cookie), {@code ptyUrl} (the PTY WebSocket) with
     * {@code Sec-WebSocket-Protocol} (the subprotocols to offer), and the token itself.
     */
    private void createMicrovmShellAuthToken(Call c) throws IOException {
        JsonNode body = body(c);
        FieldErrors errors = new FieldErrors();
        Integer minutes = minutes(body, errors);
        throwIfAny(errors);
        String id = id(c);
        MicroVmRecord vm = onMicroVm(id, () -> TokenRoutes.openMicroVm(microvms, c.tenant(), id));
        if (!AwsConnectors.fromLabel(vm.labels().get(LABEL_INGRESS)).contains(AwsConnectors.SHELL_INGRESS)) {
            throw AwsError.conflict("microvm", vm.id(), "microVM " + vm.id() + " was run without the SHELL_INGRESS network connector ("
                    + AwsConnectors.arn(c.aws.region(), AwsConnectors.SHELL_INGRESS) + " in ingressNetworkConnectors), so it has no shell access");
        }
        Issued issued = TokenRoutes.issue(tokens, c.tenant(), vm.id(), Scope.PTY, PortSet.all(), Duration.ofMinutes(minutes));
        String host = origin(c);
        Map<String, String> parts = new LinkedHashMap<>();
        parts.put(Ingress.AWS_TOKEN_HEADER, issued.token());
        parts.put("shellUrl", host + "/shell/" + vm.id() + "?token=" + issued.token());
        parts.put("ptyUrl", host.replaceFirst("^http", "ws") + "/v1/microvms/" + vm.id() + "/pty");
        parts.put("Sec-WebSocket-Protocol", TokenSubprotocols.PROTOCOL + ", " + TokenSubprotocols.TOKEN_PREFIX + issued.token());
        parts.put("expiresAt", issued.grant().expiresAt().toString());
        c.sendAws(200, Map.of("authToken", parts));
    }

    /** The model's expirationInMinutes (required, at least 1) within Burrow's token lifetimes: 1..60. */
    private static Integer minutes(JsonNode body, FieldErrors errors) {
        Integer minutes = integer(body, "expirationInMinutes", errors);
        long min = Tokens.MIN_LIFETIME.toMinutes();
        long max = Math.min(MAX_TOKEN_MINUTES, Tokens.MAX_LIFETIME.toMinutes());
        if (minutes == null && body.get("expirationInMinutes") == null) {
            errors.add("expirationInMinutes", "expirationInMinutes is required (" + min + ".." + max + ")");
        } else if (minutes != null && (minutes < min || minutes > max)) {
            errors.add("expirationInMinutes", "expirationInMinutes must be between " + min + " and " + max + "; got " + minutes);
        }
        return minutes;
    }

    /** The model's allowedPorts (each entry exactly one of port, range{startPort, endPort}, allPorts{}) as Burrow's PortSet. */
    static PortSet allowedPorts(JsonNode list, FieldErrors errors) {
        if (list == null || !list.isArray() || list.isEmpty()) {
            errors.add("allowedPorts", "allowedPorts is required: a non-empty list of {port}, {range: {startPort, endPort}} or {allPorts: {}}");
            return null;
        }
        List<Object> burrow = new ArrayList<>();
        int before = errors.size();
        for (int i = 0; i < list.size(); i++) {
            String f = "allowedPorts[" + i + "]";
            JsonNode e = list.get(i);
            int members = e.isObject() ? e.size() : 0;
            if (members != 1 || !(e.has("port") || e.has("range") || e.has("allPorts"))) {
                errors.add(f, f + " must set exactly one of port, range and allPorts");
            } else if (e.has("port")) {
                Integer p = portNumber(e.get("port"), f + ".port", errors);
                if (p != null) {
                    burrow.add(p);
                }
            } else if (e.has("range")) {
                JsonNode r = e.get("range");
                Integer from = portNumber(r.get("startPort"), f + ".range.startPort", errors);
                Integer to = portNumber(r.get("endPort"), f + ".range.endPort", errors);
                if (from != null && to != null && from > to) {
                    errors.add(f + ".range", f + ".range.startPort (" + from + ") must not be above endPort (" + to + ")");
                } else if (from != null && to != null) {
                    burrow.add(Map.of("from", from, "to", to));
                }
            } else if (!e.get("allPorts").isObject() || !e.get("allPorts").isEmpty()) {
                errors.add(f + ".allPorts", f + ".allPorts must be an empty object {}");
            } else {
                burrow.add("all");
            }
        }
        if (errors.size() > before) {
            return null;
        }
        return PortSet.parse(burrow, "allowedPorts", errors::add);
    }

    private static Integer portNumber(JsonNode n, String field, FieldErrors errors) {
        if (n == null || !n.isInt() || n.intValue() < PortSet.MIN_PORT || n.intValue() > PortSet.MAX_PORT) {
            errors.add(field, field + " must be a port " + PortSet.MIN_PORT + ".." + PortSet.MAX_PORT + "; got "
                    + (n == null ? "nothing" : Queries.printable(n.toString())));
            return null;
        }
        return n.intValue();
    }

    // ---- the view ---------------------------------------------------------------------------

    /** GetMicrovmResponse (= RunMicrovmResponse): Burrow's record in AWS's names, ARNs in the caller's region and account. */
    private Map<String, Object> view(Call c, MicroVmRecord r) {
        String region = c.aws.region();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("microvmId", r.id());
        out.put("state", state(r));
        out.put("endpoint", origin(c) + Ingress.PATH_PREFIX + r.id());
        out.put("imageArn", Arns.image(region, c.aws.accountId(), spellings.awsName(c.tenant(), r.image())));
        out.put("imageVersion", Integer.toString(r.version()));
        out.put("executionRoleArn", r.labels().get(LABEL_ROLE));
        // the deadline is stored (SPEC §1), taken a moment before the record's creation time: rounded up, it is the duration asked for
        long lifetime = (Duration.between(r.createdAt(), r.expiresAt()).toMillis() + 999) / 1000;
        IdlePolicy p = PolicyJson.read(r.idlePolicy());
        if (p != null) {
            Map<String, Object> idle = new LinkedHashMap<>();
            idle.put("maxIdleDurationSeconds", p.maxIdleSeconds());
            // Burrow's "keep until the lifetime ends" has no AWS spelling: the lifetime is the longest it can stay suspended
            idle.put("suspendedDurationSeconds", p.suspendedSeconds() == null ? lifetime : p.suspendedSeconds());
            idle.put("autoResumeEnabled", p.autoResume());
            out.put("idlePolicy", idle);
        }
        out.put("maximumDurationInSeconds", lifetime);
        out.put("startedAt", AwsJson.timestamp(r.createdAt()));
        MicroVmState state = MicroVmState.valueOf(r.state());
        out.put("terminatedAt", state.terminal() ? AwsJson.timestamp(r.updatedAt()) : null);
        String reason = state == MicroVmState.FAILED ? "FAILED" + (blank(r.stateReason()) ? "" : ": " + r.stateReason()) : r.stateReason();
        out.put("stateReason", blank(reason) ? null : reason);
        List<String> ingress = AwsConnectors.fromLabel(r.labels().get(LABEL_INGRESS));
        if (!ingress.isEmpty()) {
            out.put("ingressNetworkConnectors", ingress.stream().map(n -> AwsConnectors.arn(region, n)).toList());
        }
        List<String> egress = AwsConnectors.egressOf(r.network(), region);
        if (!egress.isEmpty()) {
            out.put("egressNetworkConnectors", egress);
        }
        return out;
    }

    /** Burrow's states onto the model's MicrovmState: RESUMING is not RUNNING yet (PENDING), FAILED is TERMINATED with its reason. */
    static String state(MicroVmRecord r) {
        return switch (MicroVmState.valueOf(r.state())) {
            case PENDING, RESUMING -> "PENDING";
            case RUNNING -> "RUNNING";
            case SUSPENDING -> "SUSPENDING";
            case SUSPENDED -> "SUSPENDED";
            case TERMINATING -> "TERMINATING";
            case TERMINATED, FAILED -> "TERMINATED";
        };
    }

    /**
     * Where the caller reached this daemon, e.g. {@code http://127.0.0.1:7070}: the endpoint is
     * the path-based ingress under it ({@code /proxy/<id>}), which needs no wildcard DNS.
     */
    private static String origin(Call c) {
        String host = c.request.getHeaders().get(HttpHeader.HOST);
        if (host == null || host.isBlank()) {
            host = Request.getServerName(c.request) + ":" + Request.getServerPort(c.request);
        }
        return (c.request.isSecure() ? "https" : "http") + "://" + host;
    }

    // ---- request reading --------------------------------------------------------------------

    /** A service call on one microVM: its absence and its state conflicts name it, as the model's error members do. */
    private static MicroVmRecord onMicroVm(String id, Supplier<MicroVmRecord> call) {
        try {
            return call.get();
        } catch (NotFoundException e) {
            throw AwsError.notFound("microvm", id, e.getMessage());
        } catch (ConflictException e) {
            throw AwsError.conflict("microvm", id, e.getMessage());
        }
    }

    /** The path's microvmIdentifier (1..256 characters by the model); Burrow's ids are all the model calls an identifier. */
    private static String id(Call c) {
        String id = c.param("microvmIdentifier");
        if (id.isEmpty() || id.length() > MAX_IDENTIFIER) {
            throw AwsError.validation("microvmIdentifier must be 1 to " + MAX_IDENTIFIER + " characters");
        }
        return id;
    }

    /** The body as a JSON object ({} when empty). */
    private static JsonNode body(Call c) {
        byte[] bytes = c.readAhead();
        if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
            return AwsJson.MAPPER.createObjectNode();
        }
        try {
            JsonNode tree = AwsJson.MAPPER.readTree(bytes);
            if (tree == null || !tree.isObject()) {
                throw AwsError.validation("the request body must be a JSON object");
            }
            return tree;
        } catch (IOException e) {
            throw AwsError.validation("the request body is not valid JSON");
        }
    }

    /** An image name from an imageIdentifier (name or ARN of the caller's account); a managed base is not runnable itself. */
    private static String imageName(String identifier, String account, String field, FieldErrors errors) {
        if (identifier == null) {
            return null;
        }
        Arns.ImageRef ref = Arns.resolveImage(identifier, account);
        if (ref.managed()) {
            errors.add(field, field + " names the managed base image '" + ref.name() + "', which does not run by itself: "
                    + "build an image on it (CreateMicrovmImage with baseImageArn) and run that");
            return null;
        }
        if (!AwsImageNames.AWS_NAME.matcher(ref.name()).matches() && !ImageRoutes.IMAGE_NAME.matcher(ref.name()).matches()) {
            throw AwsError.notFound("microvm-image", identifier, "microVM image " + identifier + " was not found");
        }
        // the same mapping CreateMicrovmImage used: MyImage runs the image it made
        return AwsImageNames.toBurrow(ref.name());
    }

    /** An image version: the model's string, Burrow's whole number from 1. */
    private static Integer version(String v, String field, FieldErrors errors) {
        if (v == null) {
            return null;
        }
        if (!DIGITS.matcher(v).matches() || Integer.parseInt(v) < 1) {
            errors.add(field, field + " must be a version number (1, 2, …) as Burrow numbers them; got '" + Queries.printable(v) + "'");
            return null;
        }
        return Integer.parseInt(v);
    }

    /** A string member of 1..{@code max} characters (null when absent; an error when required). */
    private static String text(JsonNode body, String field, int max, boolean required, FieldErrors errors) {
        return text(body, field, 1, max, required, errors, "");
    }

    private static String text(JsonNode body, String field, int min, int max, boolean required, FieldErrors errors, String prefix) {
        JsonNode v = body.get(field);
        String name = prefix + field;
        if (v == null) {
            if (required) {
                errors.add(name, name + " is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            errors.add(name, name + " must be a string");
            return null;
        }
        String s = v.asText();
        if (s.length() < min || s.length() > max) {
            errors.add(name, name + " must be " + min + " to " + max + " characters; got " + s.length());
            return null;
        }
        return s;
    }

    private static Integer integer(JsonNode body, String field, FieldErrors errors) {
        JsonNode v = body.get(field);
        if (v == null) {
            return null;
        }
        if (!v.isInt()) {
            errors.add(field, field + " must be a whole number; got " + Queries.printable(v.toString()));
            return null;
        }
        return v.intValue();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** Every field error in one ValidationException, each named with its range. */
    static void throwIfAny(FieldErrors errors) {
        if (errors.isEmpty()) {
            return;
        }
        List<String> details = errors.entries().stream().map(e -> e.get("detail")).toList();
        throw AwsError.validation(details.size() == 1 ? details.getFirst()
                : details.size() + " fields are invalid: " + String.join("; ", details));
    }

    /** A request's identity for its clientToken: the SHA-256 of its JSON with members sorted (so member order does not matter). */
    static String canonicalHash(JsonNode body) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(AwsJson.MAPPER.writeValueAsBytes(sorted(body))));
        } catch (NoSuchAlgorithmException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object sorted(JsonNode n) {
        if (n.isObject()) {
            Map<String, Object> m = new TreeMap<>();
            n.properties().forEach(e -> m.put(e.getKey(), sorted(e.getValue())));
            return m;
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(e -> l.add(sorted(e)));
            return l;
        }
        return n;
    }
}
