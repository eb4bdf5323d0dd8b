package dev.burrow.oci.registry.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Docker token server for tests: {@code GET /token?service=…&scope=…}, with Basic auth checked
 * against one account, answers an RS256 JWT the registry verifies through the {@code x5c} header
 * against {@link #certificateBundle()} (a self-signed certificate made with the JDK's
 * {@code keytool}). Anonymous requests get a token without access, so the registry refuses them.
 */
public final class TokenServer implements AutoCloseable {
    /** How long an issued token lives. */
    public static final Duration TOKEN_LIFETIME = Duration.ofMinutes(5);
    /** keytool's own deadline. */
    static final Duration KEYTOOL_TIMEOUT = Duration.ofSeconds(60);
    public static final String ISSUER = "burrow-test-issuer";
    public static final String SERVICE = "burrow-test-registry";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STORE_PASSWORD = "burrow-test-store";

    private final HttpServer server;
    private final PrivateKey key;
    private final X509Certificate cert;
    private final Path bundle;
    private final String user;
    private final String password;
    private final AtomicInteger issued = new AtomicInteger();

    /** Starts a token server for one account; its key and certificate go into {@code dir}. */
    public TokenServer(Path dir, String user, String password) throws IOException {
        this.user = user;
        this.password = password;
        Path keystore = dir.resolve("token-key.p12");
        keytool(keystore);
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, STORE_PASSWORD.toCharArray());
            key = (PrivateKey) ks.getKey("token", STORE_PASSWORD.toCharArray());
            cert = (X509Certificate) ks.getCertificate("token");
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the token key made by keytool", e);
        }
        bundle = dir.resolve("token-root.pem");
        Files.writeString(bundle, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(encoded(cert))
                + "\n-----END CERTIFICATE-----\n");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/token", this::token);
        server.start();
    }

    private static void keytool(Path keystore) throws IOException {
        Path bin = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(bin.toString(), "-genkeypair", "-alias", "token", "-keyalg", "RSA",
                "-keysize", "2048", "-sigalg", "SHA256withRSA", "-dname", "CN=burrow-test-token", "-validity", "3",
                "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD,
                "-keypass", STORE_PASSWORD)
                .redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(KEYTOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("keytool failed: " + new String(out, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the token key", e);
        }
    }

    private static byte[] encoded(X509Certificate c) throws IOException {
        try {
            return c.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IOException(e);
        }
    }

    /** The realm the registry sends clients to. */
    public URI realm() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
    }

    /** The PEM file the registry's {@code auth.token.rootcertbundle} names. */
    public Path certificateBundle() {
        return bundle;
    }

    /** Tokens issued so far (anonymous ones included). */
    public int issued() {
        return issued.get();
    }

    /** A token for {@code repo} with {@code actions}, as the pusher needs it. */
    public String mint(String subject, String repo, List<String> actions) throws IOException {
        return jwt(subject, repo == null ? List.of() : List.of(access(repo, actions)));
    }

    private void token(HttpExchange ex) throws IOException {
        try (ex) {
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            String subject = "";
            boolean granted = false;
            if (auth != null) {
                String expected = "Basic " + Base64.getEncoder().encodeToString(
                        (user + ":" + password).getBytes(StandardCharsets.UTF_8));
                if (!auth.equals(expected)) {
                    ex.sendResponseHeaders(401, -1);
                    return;
                }
                subject = user;
                granted = true;
            }
            List<Map<String, Object>> access = new ArrayList<>();
            String scope = q.get("scope");
            if (granted && scope != null && SERVICE.equals(q.get("service"))) {
                String[] parts = scope.split(":");
                if (parts.length == 3 && parts[0].equals("repository")) {
                    access.add(access(parts[1], List.of(parts[2].split(","))));
                }
            }
            String token = jwt(subject, access);
            issued.incrementAndGet();
            byte[] body = JSON.writeValueAsBytes(Map.of("token", token, "access_token", token,
                    "expires_in", TOKEN_LIFETIME.toSeconds(), "issued_at", Instant.now().toString()));
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static Map<String, Object> access(String repo, List<String> actions) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("type", "repository");
        a.put("name", repo);
        a.put("actions", actions);
        return a;
    }

    private String jwt(String subject, List<Map<String, Object>> access) throws IOException {
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("typ", "JWT");
        header.put("alg", "RS256");
        header.put("x5c", List.of(Base64.getEncoder().encodeToString(encoded(cert))));
        long now = Instant.now().getEpochSecond();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", ISSUER);
        claims.put("sub", subject);
        claims.put("aud", SERVICE);
        claims.put("exp", now + TOKEN_LIFETIME.toSeconds());
        claims.put("nbf", now - 10);
        claims.put("iat", now);
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("access", access);
        String signingInput = url.encodeToString(JSON.writeValueAsBytes(header)) + "."
                + url.encodeToString(JSON.writeValueAsBytes(claims));
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + url.encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot sign a test token", e);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null) {
            return q;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                q.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return q;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
