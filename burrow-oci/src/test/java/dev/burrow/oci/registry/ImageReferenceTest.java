package dev.burrow.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.oci.ImageException;
import org.junit.jupiter.api.Test;

class ImageReferenceTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @Test
    void aReferenceNamesItsHostRepositoryAndTag() throws ImageException {
        ImageReference r = ImageReference.parse("ghcr.io/org/team/app:1.2-rc_3");
        assertThat(r.host()).isEqualTo("ghcr.io");
        assertThat(r.repository()).isEqualTo("org/team/app");
        assertThat(r.tag()).isEqualTo("1.2-rc_3");
        assertThat(r.digest()).isNull();
        assertThat(r.manifestReference()).isEqualTo("1.2-rc_3");
    }

    @Test
    void aReferenceWithoutTagMeansLatestAndAPortIsPartOfTheHost() throws ImageException {
        ImageReference r = ImageReference.parse("localhost:5000/app");
        assertThat(r.host()).isEqualTo("localhost:5000");
        assertThat(r.tag()).isEqualTo("latest");
        assertThat(r.toString()).isEqualTo("localhost:5000/app:latest");
    }

    @Test
    void aDigestWinsOverATagForTheManifestFetched() throws ImageException {
        ImageReference r = ImageReference.parse("docker.io/library/python:3.12@" + DIGEST);
        assertThat(r.tag()).isEqualTo("3.12");
        assertThat(r.digest().toString()).isEqualTo(DIGEST);
        assertThat(r.manifestReference()).isEqualTo(DIGEST);
        assertThat(ImageReference.parse("127.0.0.1:5000/a/b@" + DIGEST).tag()).isNull();
    }

    @Test
    void onlyAFirstComponentWithADotAColonOrLocalhostIsARegistry() {
        assertThat(ImageReference.isRegistryRef("python")).isFalse();
        assertThat(ImageReference.isRegistryRef("python:3.12")).isFalse();
        assertThat(ImageReference.isRegistryRef("library/python")).isFalse();
        assertThat(ImageReference.isRegistryRef("docker.io/library/python")).isTrue();
        assertThat(ImageReference.isRegistryRef("localhost/app")).isTrue();
        assertThat(ImageReference.isRegistryRef("myhost:5000/app")).isTrue();
        assertThatThrownBy(() -> ImageReference.parse("python:3.12")).hasMessageContaining("names no registry host");
    }

    @Test
    void eachWrongPartIsNamed() {
        assertThatThrownBy(() -> ImageReference.parse("ghcr.io/Org/app")).hasMessageContaining("repository component 'Org'");
        assertThatThrownBy(() -> ImageReference.parse("ghcr.io/org//app")).hasMessageContaining("repository component ''");
        assertThatThrownBy(() -> ImageReference.parse("ghcr.io/app:-bad")).hasMessageContaining("tag '-bad'");
        assertThatThrownBy(() -> ImageReference.parse("ghcr.io/app:" + "t".repeat(129))).hasMessageContaining("tag");
        assertThatThrownBy(() -> ImageReference.parse("gh_cr.io/app")).hasMessageContaining("host 'gh_cr.io'");
        assertThatThrownBy(() -> ImageReference.parse("ghcr.io:99999/app")).hasMessageContaining("port '99999'");
        assertThatThrownBy(() -> ImageReference.parse("ghcr.io/app@sha512:abc")).hasMessageContaining("digest");
        assertThatThrownBy(() -> ImageReference.parse("ghcr.io/")).hasMessageContaining("repository is empty");
        assertThatThrownBy(() -> ImageReference.parse("ghcr.io/" + "a".repeat(256)))
                .hasMessageContaining("longer than " + ImageReference.MAX_REPOSITORY_LENGTH);
    }
}
