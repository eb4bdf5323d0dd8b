package dev.burrow.oci.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class DockerIgnorePropertiesTest {

    @Provide
    Arbitrary<String> paths() {
        Arbitrary<String> component = Arbitraries.strings().withChars("abcxyz019._-").ofMinLength(1).ofMaxLength(8)
                .filter(c -> !c.equals(".") && !c.equals(".."));
        return component.list().ofMinSize(1).ofMaxSize(5).map(l -> String.join("/", l));
    }

    @Property(tries = 300)
    void aPathPatternExcludesThePathAndEverythingUnderIt(@ForAll("paths") String path, @ForAll("paths") String below) {
        DockerIgnore ignore = DockerIgnore.parse(path + "\n");
        assertThat(ignore.excluded(path)).isTrue();
        assertThat(ignore.excluded(path + "/" + below)).isTrue();
        assertThat(ignore.excluded("/" + path + "/./")).isTrue();
    }

    @Property(tries = 300)
    void theLastMatchingLineWins(@ForAll("paths") String path) {
        assertThat(DockerIgnore.parse(path + "\n!" + path + "\n").excluded(path)).isFalse();
        assertThat(DockerIgnore.parse("!" + path + "\n" + path + "\n").excluded(path)).isTrue();
        assertThat(DockerIgnore.parse("**\n!" + path + "\n").excluded(path)).isFalse();
    }

    @Property(tries = 300)
    void doubleStarMatchesAnyDepth(@ForAll("paths") String dirs) {
        List<String> parts = List.of(dirs.split("/"));
        String last = parts.getLast();
        assertThat(DockerIgnore.parse("**/" + last + "\n").excluded(dirs)).isTrue();
        assertThat(DockerIgnore.parse("**\n").excluded(dirs)).isTrue();
        assertThat(DockerIgnore.NONE.excluded(dirs)).isFalse();
    }
}
