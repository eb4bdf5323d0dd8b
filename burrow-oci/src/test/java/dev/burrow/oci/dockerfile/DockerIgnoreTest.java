package dev.burrow.oci.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Docker's documented .dockerignore examples, and Go's pattern syntax, as cases. */
class DockerIgnoreTest {

    @ParameterizedTest(name = "[{0}] {1} -> {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', textBlock = """
            */temp*                          | somedir/temporary.txt  | true
            */temp*                          | somedir/temp           | true
            */temp*                          | somedir/temp/x.txt     | true
            */temp*                          | temporary.txt          | false
            */*/temp*                        | somedir/subdir/temporary.txt | true
            */*/temp*                        | somedir/temporary.txt  | false
            temp?                            | tempa                  | true
            temp?                            | tempab                 | false
            temp?                            | dir/tempa              | false
            **/*.go                          | main.go                | true
            **/*.go                          | a/b/c/main.go          | true
            **/*.go                          | a/b/main.gox           | false
            *.md\\n!README.md                | CHANGES.md             | true
            *.md\\n!README.md                | README.md              | false
            *.md\\n!README*.md\\nREADME-secret.md | README-secret.md  | true
            *.md\\n!README*.md\\nREADME-secret.md | README-x.md       | false
            *.md\\nREADME-secret.md\\n!README*.md | README-secret.md  | false
            node_modules                     | node_modules/a/b.js    | true
            /node_modules                    | node_modules           | true
            ./build/                         | build/out.o            | true
            # only a comment                 | anything               | false
            .git                             | .gitignore             | false
            [a-c]*.txt                       | b1.txt                 | true
            [^a-c]*.txt                      | b1.txt                 | false
            [^a-c]*.txt                      | d1.txt                 | true
            \\*.txt                          | *.txt                  | true
            \\*.txt                          | a.txt                  | false
            a/**                             | a/b/c                  | true
            a/**/z                           | a/z                    | true
            a/**/z                           | a/b/c/z                | true
            docs\\n!docs/keep.md             | docs/keep.md           | false
            docs\\n!docs/keep.md             | docs/other.md          | true
            """)
    void dockersPatternRulesHold(String patterns, String path, boolean excluded) {
        DockerIgnore ignore = DockerIgnore.parse(patterns.replace("\\n", "\n").replace("\\\\", "\\"));
        assertThat(ignore.excluded(path)).isEqualTo(excluded);
    }

    @Tag("hostile")
    @Test
    void aPatternBuiltToBacktrackMatchesInLinearTime() {
        String name = "a".repeat(4000);
        DockerIgnore ignore = DockerIgnore.parse("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n**a**a**a**a**a**a**a**a**b\n");
        long start = System.nanoTime();
        assertThat(ignore.excluded(name)).isFalse();
        assertThat(ignore.excluded("x/".repeat(1000) + name)).isFalse();
        assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
    }

    @Test
    void thePatternCountIsBounded() {
        assertThatThrownBy(() -> DockerIgnore.parse("a\n".repeat(DockerIgnore.MAX_PATTERNS + 1)))
                .hasMessage(".dockerignore line " + (DockerIgnore.MAX_PATTERNS + 1) + ": more than "
                        + DockerIgnore.MAX_PATTERNS + " patterns");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            [abc          | .dockerignore line 1: malformed pattern
            [z-a]         | .dockerignore line 1: malformed pattern
            """)
    void aMalformedPatternNamesItsLine(String pattern, String message) {
        assertThatThrownBy(() -> DockerIgnore.parse(pattern)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }
}
