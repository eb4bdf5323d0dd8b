package dev.burrow.vmm.kernel.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GlobTest {
    @Test
    void matchesFnmatchStylePatterns() {
        assertThat(Glob.matches("virtio:d00000004v*", "virtio:d00000004v00001AF4")).isTrue();
        assertThat(Glob.matches("virtio:d00000004v*", "virtio:d00000005v00001AF4")).isFalse();
        assertThat(Glob.matches("pci:v*d*sv*", "pci:v1d2sv3")).isTrue();
        assertThat(Glob.matches("a?c", "abc")).isTrue();
        assertThat(Glob.matches("a[0-9]c", "a5c")).isTrue();
        assertThat(Glob.matches("a[!0-9]c", "a5c")).isFalse();
        assertThat(Glob.matches("abc", "abcd")).isFalse();
    }
}
