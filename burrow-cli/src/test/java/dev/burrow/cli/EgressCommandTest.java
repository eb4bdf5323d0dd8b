package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code burrow run --egress}, {@code burrow inspect} showing the network and {@code burrow egress ID}. */
class EgressCommandTest {
    private static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path tmp;

    FakeBurrowd fake;
    CliHarness cli;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeBurrowd();
        cli = new CliHarness(tmp).against(fake);
    }

    @AfterEach
    void stop() {
        fake.close();
        assertThat(fake.contractViolations).isEmpty();
    }

    private static ObjectNode decision(int i, String name, String decision, String reason) {
        ObjectNode d = M.createObjectNode();
        d.put("time", "2026-12-01T10:00:0" + i + "Z");
        d.put("protocol", i % 2 == 0 ? "dns" : "tls");
        d.put("name", name);
        d.put("port", i % 2 == 0 ? 53 : 443);
        d.put("decision", decision);
        d.put("reason", reason);
        return d;
    }

    @Test
    void egressListsEveryDecisionAcrossPagesAsATableOrJson() throws Exception {
        fake.addMicroVm("vm01net1");
        List<ObjectNode> decisions = new ArrayList<>();
        decisions.add(decision(0, "pypi.org", "allowed", "on the allowlist"));
        decisions.add(decision(1, "pypi.org", "allowed", "on the allowlist"));
        decisions.add(decision(2, "evil.example", "denied", "not on the allowlist"));
        decisions.add(decision(3, null, "denied", "no server name in the ClientHello"));
        fake.egress.put("vm01net1", decisions);

        var r = cli.run("egress", "vm01net");
        assertThat(r.code()).as(r.err()).isZero();
        var lines = r.out().lines().toList();
        assertThat(lines.getFirst()).matches("TIME +PROTOCOL +NAME +PORT +DECISION +REASON");
        assertThat(lines).hasSize(5);
        assertThat(lines.get(3)).matches("2026-12-01T10:00:02Z +dns +evil\\.example +53 +denied +not on the allowlist");
        assertThat(lines.get(4)).matches("2026-12-01T10:00:03Z +tls +- +443 +denied +no server name in the ClientHello");
        assertThat(fake.requests("GET", "/v1/microvms/vm01net1/egress")).hasSize(2);   // two pages

        JsonNode json = M.readTree(cli.run("egress", "vm01net1", "--json").out());
        assertThat(json).hasSize(4);
        assertThat(json.get(3).path("name").isNull()).isTrue();
        assertThat(json.get(2).path("decision").asText()).isEqualTo("denied");
    }

    @Test
    void runSendsTheEgressModeAndTheServersVerdictOnNamesIsShownAsItComes() throws Exception {
        var r = cli.run("run", "demo", "--egress", "internet");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(fake.requests("POST", "/v1/microvms").getLast().json().path("network").toString()).isEqualTo("{\"egress\":\"internet\"}");

        r = cli.run("run", "demo", "--egress", "allowlist:*.b.org");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(fake.requests("POST", "/v1/microvms").getLast().json().path("network").path("allow").get(0).asText()).isEqualTo("*.b.org");

        r = cli.run("run", "demo", "--egress", "allowlist:a_b.com,*");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).isEqualTo("burrow: 2 errors in the request:\n"
                + "  network.allow[0]: 'a_b.com' is not a host name\n"
                + "  network.allow[1]: '*' alone allows everything: use egress internet\n");
        // names are burrowd's call: the CLI sent what the user typed, which the contract's pattern refuses too
        assertThat(fake.contractViolations).hasSize(2).allMatch(v -> v.contains("network.allow["));
        fake.contractViolations.clear();

        r = cli.run("run", "demo", "--egress", "allowlist:a.com,,b.org");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("--egress: an empty name");
        assertThat(fake.requests("POST", "/v1/microvms")).hasSize(3);   // a syntax error never reaches burrowd
    }

    @Test
    void inspectShowsTheNetwork() throws Exception {
        fake.addMicroVm("vm01net2").putObject("network").put("egress", "allowlist").putArray("allow").add("a.com");
        var r = cli.run("inspect", "vm01net2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(M.readTree(r.out()).path("network").path("allow").get(0).asText()).isEqualTo("a.com");
    }
}
