package dev.burrow.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.oci.registry.internal.Challenge;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChallengeAndSettingsTest {
    @Test
    void aBearerChallengeGivesItsRealmServiceAndScope() {
        List<Challenge> c = Challenge.parse(
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/python:pull\"");
        assertThat(c).hasSize(1);
        assertThat(c.get(0).scheme()).isEqualTo("bearer");
        assertThat(c.get(0).param("realm")).isEqualTo("https://auth.docker.io/token");
        assertThat(c.get(0).param("service")).isEqualTo("registry.docker.io");
        assertThat(c.get(0).param("scope")).isEqualTo("repository:library/python:pull");
    }

    @Test
    void severalChallengesInOneHeaderAreAllRead() {
        List<Challenge> c = Challenge.parse("Basic realm=\"a, b\", Bearer realm=\"https://x/t\", service=s");
        assertThat(c).extracting(Challenge::scheme).containsExactly("basic", "bearer");
        assertThat(c.get(0).param("realm")).isEqualTo("a, b");
        assertThat(c.get(1).param("service")).isEqualTo("s");
    }

    @Test
    void garbageAndOversizedHeadersYieldNoUsableChallenge() {
        assertThat(Challenge.parse(null)).isEmpty();
        assertThat(Challenge.parse("")).isEmpty();
        assertThat(Challenge.parse("Bearer " + "x".repeat(Challenge.MAX_HEADER_CHARS))).isEmpty();
        assertThat(Challenge.parse("Bearer realm=\"unterminated")).singleElement()
                .satisfies(ch -> assertThat(ch.param("realm")).isEqualTo("unterminated"));
    }

    @Test
    void onlyLoopbackAndListedHostsMayUsePlainHttp() {
        RegistrySettings d = RegistrySettings.defaults();
        assertThat(d.allowsPlainHttp("127.0.0.1", 5000)).isTrue();
        assertThat(d.allowsPlainHttp("127.8.9.10", -1)).isTrue();
        assertThat(d.allowsPlainHttp("[::1]", 5000)).isTrue();
        assertThat(d.allowsPlainHttp("localhost", 80)).isTrue();
        assertThat(d.allowsPlainHttp("localhost.example.com", 80)).isFalse();
        assertThat(d.allowsPlainHttp("10.0.0.5", 5000)).isFalse();
        assertThat(d.allowsPlainHttp("registry.internal", 5000)).isFalse();
        RegistrySettings s = d.withInsecureHosts(Set.of("registry.internal:5000", "Mirror.LAN"));
        assertThat(s.allowsPlainHttp("registry.internal", 5000)).isTrue();
        assertThat(s.allowsPlainHttp("registry.internal", 5001)).isFalse();
        assertThat(s.allowsPlainHttp("mirror.lan", 443)).isTrue();
    }

    @Test
    void credentialsNeverPrintTheirSecret() {
        assertThat(Credentials.basic("u", "hunter2").toString()).isEqualTo("basic(u, ****)");
        assertThat(Credentials.token("abc.def.ghi").toString()).doesNotContain("abc");
        assertThat(Credentials.anonymous().toString()).isEqualTo("anonymous");
    }
}
