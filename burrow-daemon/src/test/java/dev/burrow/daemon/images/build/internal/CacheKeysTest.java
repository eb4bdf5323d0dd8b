package dev.burrow.daemon.images.build.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CacheKeysTest {

    @Test
    void theSameParentTextAndInputsGiveTheSameKey() {
        assertThat(CacheKeys.step("sha256:aa", "RUN make", null)).isEqualTo(CacheKeys.step("sha256:aa", "RUN make", null));
    }

    @Test
    void eachPartChangesTheKey() {
        String k = CacheKeys.step("sha256:aa", "COPY a /", "h1");
        assertThat(CacheKeys.step("sha256:ab", "COPY a /", "h1")).isNotEqualTo(k);
        assertThat(CacheKeys.step("sha256:aa", "COPY b /", "h1")).isNotEqualTo(k);
        assertThat(CacheKeys.step("sha256:aa", "COPY a /", "h2")).isNotEqualTo(k);
    }

    @Test
    void movingTextBetweenPartsGivesAnotherKey() {
        assertThat(CacheKeys.step("a", "bc", null)).isNotEqualTo(CacheKeys.step("ab", "c", null));
        assertThat(CacheKeys.step("a", "b", "")).isEqualTo(CacheKeys.step("a", "b", null));
    }

    @Test
    void aChangedStepChangesEveryLaterKey() {
        String base = "sha256:base";
        String a1 = CacheKeys.step(base, "COPY app /", "v1");
        String a2 = CacheKeys.step(base, "COPY app /", "v2");
        assertThat(CacheKeys.step(a1, "RUN make", null)).isNotEqualTo(CacheKeys.step(a2, "RUN make", null));
    }
}
