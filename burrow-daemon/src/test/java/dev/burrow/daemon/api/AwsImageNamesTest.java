package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** AWS image names onto Burrow's: the same name when it already is one, a stable and distinct one otherwise. */
class AwsImageNamesTest {

    @Test
    void aNameThatIsAlreadyABurrowNameIsItself() {
        assertThat(AwsImageNames.toBurrow("my-app_2")).isEqualTo("my-app_2");
    }

    @Test
    void aNameWithCapitalsBecomesItsLowerCaseStemAndAHashThatTellsSpellingsApart() {
        String mixed = AwsImageNames.toBurrow("MyImage");
        String upper = AwsImageNames.toBurrow("MYIMAGE");

        assertThat(mixed).matches("myimage\\.[0-9a-f]{12}").isNotEqualTo(upper).isNotEqualTo("myimage");
        assertThat(AwsImageNames.toBurrow("MyImage")).isEqualTo(mixed);
        assertThat(ImageRoutes.IMAGE_NAME.matcher(mixed).matches()).isTrue();
    }

    @Test
    void theLongestAndOddestAwsNamesStillMakeValidBurrowNames() {
        for (String aws : new String[] {"A".repeat(64), "-leading", "__", "a".repeat(64), "_"}) {
            String b = AwsImageNames.toBurrow(aws);
            assertThat(ImageRoutes.IMAGE_NAME.matcher(b).matches()).as(aws + " -> " + b).isTrue();
        }
    }

    @Test
    void aMappedNameGivenBackAsTheIdentifierNamesTheSameImage() {
        String b = AwsImageNames.toBurrow("MyImage");

        assertThat(AwsImageNames.toBurrow(b)).isEqualTo(b);
    }
}
