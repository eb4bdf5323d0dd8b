package dev.burrow.oci.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.oci.dockerfile.internal.Expander;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExpansionTest {
    private static final Map<String, String> VARS = Map.of("A", "alpha", "E", "", "P", "/usr/bin", "S", "a b");

    private static String expand(String word) throws DockerfileException {
        return new Expander('\\', VARS::get, 3, false).expand(word);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', emptyValue = "", textBlock = """
            $A                 | alpha
            ${A}               | alpha
            x${A}y             | xalphay
            $Ax                |
            ${A}x              | alphax
            $UNSET             |
            ${UNSET:-dflt}     | dflt
            ${E:-dflt}         | dflt
            ${E-dflt}          |
            ${UNSET-dflt}      | dflt
            ${A:+set}          | set
            ${E:+set}          |
            ${E+set}           | set
            ${UNSET+set}       |
            ${UNSET:-$A}       | alpha
            ${UNSET:-${E:-in}} | in
            '$A'               | $A
            "$A"               | alpha
            "'$A'"             | 'alpha'
            \\$A               | $A
            "\\$A"             | $A
            "a\\tb"            | a\\tb
            a\\ b              | a b
            $                  | $
            a$                 | a$
            ${P}:$A            | /usr/bin:alpha
            "$S"               | a b
            """)
    void dockersExpansionRulesHold(String word, String expected) throws Exception {
        assertThat(expand(word)).isEqualTo(expected == null ? "" : expected);
    }

    @Property(tries = 200)
    void aWordWithoutSpecialCharactersIsItself(@ForAll @AlphaChars @StringLength(max = 40) String word) throws Exception {
        assertThat(expand(word)).isEqualTo(word);
    }

    @Property(tries = 200)
    void aSingleQuotedWordIsNeverExpanded(@ForAll @StringLength(max = 40) String body) throws Exception {
        String inner = body.replace("'", "");
        assertThat(expand("'" + inner + "'")).isEqualTo(inner);
    }

    @Property(tries = 200)
    void aDefaultIsUsedExactlyWhenTheVariableIsUnsetOrEmpty(@ForAll @AlphaChars @StringLength(min = 1, max = 10) String value,
            @ForAll boolean set) throws Exception {
        Map<String, String> vars = set ? Map.of("V", value) : Map.of();
        String got = new Expander('\\', vars::get, 1, false).expand("${V:-dflt}");
        assertThat(got).isEqualTo(set ? value : "dflt");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', textBlock = """
            ${A                | missing '}'
            ${A:-x             | missing '}'
            ${               | bad substitution
            ${A#x}             | unsupported substitution
            ${UNSET:?needed}   | UNSET: needed
            'open              | unmatched '
            "open              | unmatched "
            """)
    void badWordsAreErrorsNamingTheLine(String word, String message) {
        assertThatThrownBy(() -> expand(word)).isInstanceOf(DockerfileException.class)
                .hasMessageStartingWith("Dockerfile line 3: ").hasMessageContaining(message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', textBlock = """
            $A 'q' "d" \\x     | alpha 'q' "d" \\x
            \\$A               | $A
            """)
    void heredocBodiesKeepTheirQuotes(String body, String expected) throws Exception {
        assertThat(new Expander('\\', VARS::get, 1, true).expand(body)).isEqualTo(expected);
    }

    @Test
    void nestedVariablesCannotBlowUpPastTheLimit() {
        String big = "x".repeat(DockerfileLimits.MAX_EXPANSION_BYTES / 2 + 1);
        assertThatThrownBy(() -> new Expander('\\', Map.of("B", big)::get, 9, false).expand("$B$B"))
                .hasMessage("Dockerfile line 9: a variable expansion is larger than the limit of "
                        + DockerfileLimits.MAX_EXPANSION_BYTES + " bytes");
        String deep = "${U:-".repeat(DockerfileLimits.MAX_EXPANSION_DEPTH + 1) + "x" + "}".repeat(DockerfileLimits.MAX_EXPANSION_DEPTH + 1);
        assertThatThrownBy(() -> expand(deep)).hasMessageContaining("nested more than");
    }
}
