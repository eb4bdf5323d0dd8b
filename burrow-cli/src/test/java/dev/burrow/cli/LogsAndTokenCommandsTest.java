package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code burrow logs} and {@code burrow token} against the fake burrowd. */
class LogsAndTokenCommandsTest {

    private static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path home;

    FakeBurrowd fake;
    CliHarness cli;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeBurrowd();
        cli = new CliHarness(home).against(fake);
        fake.addMicroVm("vm01logs1");
    }

    @AfterEach
    void stop() {
        assertThat(fake.contractViolations).isEmpty();
        fake.close();
    }

    @Test
    void logsPrintsTheConsoleBytesAsTheyAre() {
        fake.console = new byte[] {'o', 'k', ' ', (byte) 0xff, 0x1b, '[', 'm', '\n'};
        var r = cli.run("logs", "vm01lo");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.outBytes()).isEqualTo(fake.console);
        assertThat(fake.requests("GET", "/v1/microvms/vm01logs1/logs").getFirst().query()).isEqualTo("format=text");
    }

    @Test
    void logsFollowPrintsTheLinesAndTheEndOnStderrAndExitsZero() {
        var r = cli.run("logs", "-f", "vm01logs1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("[    0.00] booted\nburrow-agent: ready\n");
        assertThat(r.err()).isEqualTo("burrow: microVM vm01logs1 is TERMINATED: terminated by a request\n");
        assertThat(fake.requests("GET", "/v1/microvms/vm01logs1/logs").getFirst().query()).isEqualTo("format=ndjson&follow=true");
    }

    @Test
    void logsJsonPrintsOneLogLinePerLineWithoutTheKeepAlives() throws Exception {
        var r = cli.run("logs", "vm01logs1", "-f", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        String[] lines = r.out().split("\n");
        assertThat(lines).hasSize(3);
        for (String line : lines) {
            JsonNode n = M.readTree(line);
            assertThat(dev.burrow.api.ApiContract.get().validateFrame("log-line", n)).as(line).isEmpty();
        }
        assertThat(M.readTree(lines[2]).get("state").asText()).isEqualTo("TERMINATED");
    }

    @Test
    void logsOfAnUnknownMicroVmExits125() {
        var r = cli.run("logs", "vm99");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("no microVM matches 'vm99'");
    }

    @Test
    void tokenSendsPortsRangesAndExpiryAndPrintsReadyCurlLines() throws Exception {
        var r = cli.run("token", "vm01logs", "--port", "9000", "--port", "8080", "--ports", "8000-8100", "--expires", "30m");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode sent = fake.requests("POST", "/v1/microvms/vm01logs1/tokens").getFirst().json();
        assertThat(sent.toString()).isEqualTo("{\"ports\":[9000,8080,{\"from\":8000,\"to\":8100}],\"expiresInSeconds\":1800}");
        String token = FakeBurrowd.TOKEN;
        assertThat(r.out()).contains("token:   " + token + "\n")
                .contains("scope:   ingress, ports 9000, 8080, 8000-8100\n")
                .contains("expires: 2026-11-29T10:30:00Z\n")
                .contains("curl -H 'X-Burrow-Token: " + token + "' http://8080-vm01logs1.localhost:7070/\n")
                .contains("curl -H 'X-Burrow-Token: " + token + "' -H 'X-Burrow-Port: 8080' " + fake.url() + "/proxy/vm01logs1/\n");
    }

    @Test
    void tokenForAllPortsAndThePtyScope() throws Exception {
        var all = cli.run("token", "vm01logs1", "--ports", "all");
        assertThat(all.code()).as(all.err()).isZero();
        assertThat(fake.requests("POST", "/v1/microvms/vm01logs1/tokens").getFirst().json().toString()).isEqualTo("{\"ports\":[\"all\"]}");
        assertThat(all.out()).contains("-H 'X-Burrow-Port: 8080' " + fake.url() + "/proxy/vm01logs1/\n");
        var other = cli.run("token", "vm01logs1", "--ports", "9000-9100");
        assertThat(other.out()).as("the path-based line names the port the host-based one opens")
                .contains("http://9000-vm01logs1.localhost:7070/\n").contains("-H 'X-Burrow-Port: 9000' ");
        var pty = cli.run("token", "vm01logs1", "--scope", "pty");
        assertThat(pty.code()).as(pty.err()).isZero();
        assertThat(pty.out()).contains("url:     http://127.0.0.1:7070/shell/vm01logs1?token=" + FakeBurrowd.TOKEN).doesNotContain("curl");
        assertThat(fake.requests("POST", "/v1/microvms/vm01logs1/tokens").getLast().json().toString()).isEqualTo("{\"scope\":\"pty\"}");
    }

    @Test
    void tokenJsonPrintsTheApiDocument() throws Exception {
        var r = cli.run("token", "vm01logs1", "--port", "8080", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode doc = M.readTree(r.out());
        assertThat(doc.get("token").asText()).isEqualTo(FakeBurrowd.TOKEN);
        assertThat(doc.get("ports").toString()).isEqualTo("[8080]");
    }

    @Test
    void tokenRefusesBadPortsAndScopesBeforeAskingBurrowd() {
        assertThat(cli.run("token", "vm01logs1", "--port", "70000").err()).contains("a port is 1 to 65535; got 70000");
        assertThat(cli.run("token", "vm01logs1", "--ports", "9000-8000").err()).contains("a range goes up");
        assertThat(cli.run("token", "vm01logs1", "--ports", "some").err()).contains("--ports takes all");
        assertThat(cli.run("token", "vm01logs1", "--scope", "root").err()).contains("--scope must be ingress or pty");
        assertThat(cli.run("token", "vm01logs1", "--expires", "soon").code()).isEqualTo(125);
        assertThat(fake.requests("POST", "/v1/microvms/vm01logs1/tokens")).isEmpty();
    }
}
