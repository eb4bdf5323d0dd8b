package dev.burrow.daemon.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The requests botocore signed (contrib/aws/sigv4_vectors.py → aws/sigv4-vectors.json) with what it computed. */
final class SigV4Vectors {

    record Vector(String name, String service, String region, String accessKeyId, String secretAccessKey, String method,
                  String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body, String canonicalRequest,
                  String stringToSign, String authorization) {

        String amzDate() {
            return headers.get("x-amz-date").getFirst();
        }

        List<String> signedHeaders() {
            String s = authorization.substring(authorization.indexOf("SignedHeaders=") + "SignedHeaders=".length());
            return List.of(s.substring(0, s.indexOf(',')).split(";"));
        }

        SigV4.Scope scope() {
            return new SigV4.Scope(amzDate().substring(0, 8), region, service);
        }

        SignedRequest request() {
            return new SignedRequest(method, rawPath, rawQuery, headers, body);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static final Instant SIGNED_AT;
    static final List<Vector> ALL;

    static {
        try (InputStream in = SigV4Vectors.class.getResourceAsStream("/aws/sigv4-vectors.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            SIGNED_AT = SigV4.AMZ_DATE.parse(root.get("signedAt").asText(), Instant::from);
            List<Vector> all = new ArrayList<>();
            for (JsonNode v : root.get("vectors")) {
                Map<String, List<String>> headers = new LinkedHashMap<>();
                for (JsonNode h : v.get("headers")) {
                    headers.computeIfAbsent(h.get(0).asText().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.get(1).asText());
                }
                all.add(new Vector(v.get("name").asText(), v.get("service").asText(), v.get("region").asText(),
                        v.get("accessKeyId").asText(), v.get("secretAccessKey").asText(), v.get("method").asText(),
                        v.get("rawPath").asText(), v.get("rawQuery").asText(), headers,
                        v.get("body").asText().getBytes(StandardCharsets.UTF_8), v.get("canonicalRequest").asText(),
                        v.get("stringToSign").asText(), v.get("authorization").asText()));
            }
            ALL = List.copyOf(all);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read aws/sigv4-vectors.json", e);
        }
    }

    private SigV4Vectors() {}

    static List<Vector> lambda() {
        return ALL.stream().filter(v -> v.service().equals("lambda")).toList();
    }

    static List<Vector> s3() {
        return ALL.stream().filter(v -> v.service().equals("s3")).toList();
    }
}
