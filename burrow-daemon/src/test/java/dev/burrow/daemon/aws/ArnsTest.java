package dev.burrow.daemon.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ArnsTest {

    @Test
    void anAccountIdIsTwelveDigitsAndTheSameForTheSameTenant() {
        assertThat(AccountIds.of("ten_abc")).matches("[0-9]{12}").isEqualTo(AccountIds.of("ten_abc"));
        assertThat(AccountIds.of("ten_abc")).isNotEqualTo(AccountIds.of("ten_abd"));
    }

    @Test
    void anImageIdentifierIsANameOrAnArnOfTheCallersAccountOrAManagedBase() {
        assertThat(Arns.resolveImage("web", "123456789012")).isEqualTo(new Arns.ImageRef("web", false));
        assertThat(Arns.resolveImage(Arns.image("us-east-1", "123456789012", "web"), "123456789012"))
                .isEqualTo(new Arns.ImageRef("web", false));
        assertThat(Arns.resolveImage(Arns.managedImage("eu-west-1", "python"), "123456789012"))
                .isEqualTo(new Arns.ImageRef("python", true));
    }

    @Test
    void anotherAccountsArnIsNotFoundAndAMalformedOneIsInvalid() {
        assertThatThrownBy(() -> Arns.resolveImage(Arns.image("us-east-1", "999999999999", "web"), "123456789012"))
                .isInstanceOfSatisfying(AwsError.class, e -> assertThat(e.code()).isEqualTo("ResourceNotFoundException"));
        assertThatThrownBy(() -> Arns.resolveImage("arn:aws:s3:::bucket", "123456789012"))
                .isInstanceOfSatisfying(AwsError.class, e -> assertThat(e.code()).isEqualTo("ValidationException"));
    }
}
