package dev.burrow.daemon.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.store.Database;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokensTest {

    static final class MovableClock extends Clock {
        volatile Instant now = Instant.parse("2026-12-01T10:00:00Z");

        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    }

    @TempDir Path dir;
    Database db;
    final MovableClock clock = new MovableClock();
    Tokens tokens;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        tokens = new Tokens(db, clock);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void aTokenIsFortyThreeBase64urlCharactersAndVerifiesToItsGrant() {
        Issued i = tokens.issue("t1", "vm1", Scope.INGRESS, PortSet.of(8080), Duration.ofSeconds(900));
        assertThat(i.token()).matches("[A-Za-z0-9_-]{43}");
        Grant g = tokens.verify(i.token()).orElseThrow();
        assertThat(g).isEqualTo(i.grant());
        assertThat(g.opens("vm1", Scope.INGRESS)).isTrue();
        assertThat(g.opens("vm2", Scope.INGRESS)).isFalse();
        assertThat(g.opens("vm1", Scope.PTY)).isFalse();
        assertThat(g.ports().allows(8080)).isTrue();
        assertThat(g.ports().allows(8081)).isFalse();
        assertThat(g.expiresAt()).isEqualTo(clock.now.plusSeconds(900));
    }

    @Test
    void aTokenStopsWorkingAtItsExpiryAndTheJanitorDeletesIt() {
        Issued i = tokens.issue("t1", "vm1", Scope.PTY, PortSet.all(), Duration.ofSeconds(60));
        clock.now = clock.now.plusSeconds(59);
        assertThat(tokens.verify(i.token())).isPresent();
        clock.now = clock.now.plusSeconds(1);
        assertThat(tokens.verify(i.token())).isEmpty();
        assertThat(tokens.deleteExpired(clock.now)).isEqualTo(1);
        assertThat(tokens.deleteExpired(clock.now)).isZero();
    }

    @Test
    void unknownMalformedAndOversizedTokensVerifyToNothing() {
        assertThat(tokens.verify(null)).isEmpty();
        assertThat(tokens.verify("")).isEmpty();
        assertThat(tokens.verify("A".repeat(43))).isEmpty();
        assertThat(tokens.verify("A".repeat(10_000))).isEmpty();
        assertThat(tokens.verify("'; DROP TABLE tokens; --" + "A".repeat(19))).isEmpty();
    }

    @Test
    void anExchangedUrlTokenIsSpentAndItsCookieTokenCarriesTheSameGrant() {
        Issued url = tokens.issue("t1", "vm1", Scope.INGRESS, PortSet.all(), Duration.ofSeconds(600));
        Issued cookie = tokens.exchange(url.token()).orElseThrow();
        assertThat(cookie.token()).isNotEqualTo(url.token());
        assertThat(cookie.grant()).isEqualTo(url.grant());
        assertThat(tokens.verify(url.token())).isEmpty();
        assertThat(tokens.exchange(url.token())).as("a second exchange of the same link").isEmpty();
        assertThat(tokens.verify(cookie.token())).contains(url.grant());
    }

    @Test
    void tokensSurviveADaemonRestart() {
        Issued i = tokens.issue("t1", "vm1", Scope.INGRESS, PortSet.of(3000), Duration.ofSeconds(600));
        db.close();
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        assertThat(new Tokens(db, clock).verify(i.token())).contains(i.grant());
    }

    @Test
    void aMicroVmHasABoundedNumberOfLiveTokens() {
        for (int n = 0; n < Tokens.MAX_LIVE_PER_MICROVM; n++) {
            tokens.issue("t1", "vm1", Scope.PTY, PortSet.all(), Duration.ofSeconds(60));
        }
        assertThatThrownBy(() -> tokens.issue("t1", "vm1", Scope.PTY, PortSet.all(), Duration.ofSeconds(60)))
                .isInstanceOf(Tokens.TooManyTokensException.class).hasMessageContaining("1000");
        assertThat(tokens.issue("t1", "vm2", Scope.PTY, PortSet.all(), Duration.ofSeconds(60))).isNotNull();
        clock.now = clock.now.plusSeconds(60);
        assertThat(tokens.issue("t1", "vm1", Scope.PTY, PortSet.all(), Duration.ofSeconds(60))).as("expired ones do not count").isNotNull();
    }

    @Test
    void aLifetimeOutsideSixtyToThirtySixHundredSecondsIsRefused() {
        assertThatThrownBy(() -> tokens.issue("t1", "vm1", Scope.PTY, PortSet.all(), Duration.ofSeconds(59)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tokens.issue("t1", "vm1", Scope.PTY, PortSet.all(), Duration.ofSeconds(3601)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void portsParseSinglePortsRangesAndAllAndKeepTheirForm() {
        List<Object> json = List.of(8080, Map.of("from", 9000, "to", 9100), "all");
        PortSet p = PortSet.parse(json, "ports", (f, d) -> { throw new AssertionError(f + ": " + d); });
        assertThat(p.toJson()).hasSize(3).startsWith(8080).endsWith("all");
        PortSet range = PortSet.parse(List.of(Map.of("from", 9000, "to", 9100)), "ports", (f, d) -> { throw new AssertionError(d); });
        assertThat(range.allows(8999)).isFalse();
        assertThat(range.allows(9000)).isTrue();
        assertThat(range.allows(9100)).isTrue();
        assertThat(range.allows(9101)).isFalse();
        assertThat(range.first()).isEqualTo(9000);
    }

    @Test
    void everyFaultyPortEntryIsNamedWithTheRange() {
        List<String> errors = new ArrayList<>();
        PortSet p = PortSet.parse(List.of(0, 70000, "some", Map.of("from", 10, "to", 5), Map.of("from", 1, "to", 2, "x", 3), 2.5, 80),
                "ports", (f, d) -> errors.add(f + ": " + d));
        assertThat(p).isNull();
        assertThat(errors).hasSize(6);
        assertThat(errors).extracting(e -> e.substring(0, e.indexOf(':')))
                .containsExactly("ports[0]", "ports[1]", "ports[2]", "ports[3]", "ports[4]", "ports[5]");
        assertThat(errors.getFirst()).contains("1..65535");
        List<String> empty = new ArrayList<>();
        assertThat(PortSet.parse(List.of(), "ports", (f, d) -> empty.add(f))).isNull();
        assertThat(PortSet.parse("8080", "ports", (f, d) -> empty.add(f))).isNull();
        assertThat(empty).containsExactly("ports", "ports");
    }
}
