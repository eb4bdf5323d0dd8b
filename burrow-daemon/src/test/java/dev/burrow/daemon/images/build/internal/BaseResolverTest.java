package dev.burrow.daemon.images.build.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.images.SourceResolver.SourceFailure;
import dev.burrow.daemon.images.build.BaseImages;
import dev.burrow.daemon.images.build.ImageLookup;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import dev.burrow.oci.MediaTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BaseResolverTest {
    private static final Descriptor OWN = d('1');
    private static final Descriptor MANAGED = d('2');
    private static final Descriptor PULLED = d('3');
    private final List<String> asked = new ArrayList<>();

    private static Descriptor d(char c) {
        return new Descriptor(MediaTypes.OCI_MANIFEST, new Digest(String.valueOf(c).repeat(64)), 10);
    }

    private BaseResolver resolver(boolean hasOwn) {
        ImageLookup images = (tenant, name, version) -> {
            asked.add("image " + tenant + " " + name + " " + version);
            return hasOwn ? Optional.of(OWN) : Optional.empty();
        };
        BaseImages bases = name -> {
            asked.add("base " + name);
            return name.equals("python") ? Optional.of(MANAGED) : Optional.empty();
        };
        return new BaseResolver("t1", (ref, platform) -> {
            asked.add("pull " + ref);
            return PULLED;
        }, images, bases);
    }

    @Test
    void theTenantsOwnImageComesBeforeAManagedBase() throws Exception {
        assertThat(resolver(true).resolve("python", null, 1).manifest()).isEqualTo(OWN);
        assertThat(resolver(false).resolve("python", null, 1).manifest()).isEqualTo(MANAGED);
        assertThat(asked).containsExactly("image t1 python null", "image t1 python null", "base python");
    }

    @Test
    void aNumericTagIsAVersion() throws Exception {
        resolver(true).resolve("web:3", null, 1);
        assertThat(asked).containsExactly("image t1 web 3");
    }

    @Test
    void aReferenceWithAHostIsPulledAndNeverLookedUpLocally() throws Exception {
        assertThat(resolver(true).resolve("registry.example.com/team/app:1", null, 1).manifest()).isEqualTo(PULLED);
        assertThat(resolver(true).resolve("localhost:5000/app", null, 1).manifest()).isEqualTo(PULLED);
        assertThat(asked).containsExactly("pull registry.example.com/team/app:1", "pull localhost:5000/app");
    }

    @Test
    void scratchIsNothing() throws Exception {
        assertThat(resolver(true).resolve("scratch", null, 1).scratch()).isTrue();
        assertThat(asked).isEmpty();
    }

    @Test
    void aNameFoundNowhereFailsNamingTheLineAndWhatWasTried() {
        assertThatThrownBy(() -> resolver(false).resolve("nodejs:lts", null, 7))
                .isInstanceOf(SourceFailure.class)
                .hasMessageStartingWith("Dockerfile line 7: FROM nodejs:lts: no such image; tried managed bases (none named 'nodejs:lts')");
        assertThatThrownBy(() -> resolver(false).resolve("app", null, 2))
                .hasMessageContaining("tried your images and public images (no READY, ACTIVE version of 'app'), then managed bases");
    }

    @Test
    void withoutAPullerARegistryBaseFailsSayingSo() {
        BaseResolver r = new BaseResolver("t1", null, (t, n, v) -> Optional.empty(), BaseImages.NONE);
        assertThatThrownBy(() -> r.resolve("ghcr.io/x/y", null, 3)).isInstanceOf(SourceFailure.class)
                .hasMessage("Dockerfile line 3: FROM ghcr.io/x/y: this Burrow cannot pull from registries");
    }
}
