package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.images.Hooks;
import org.junit.jupiter.api.Test;

class HooksDtoTest {

    @Test
    void aHookGivenAsAnObjectWithoutEnabledIsEnabledAsTheOpenApiDocumentSays() {
        Hooks h = new Dtos.HooksDto(null, null, null, new Dtos.HookDto(null, 5), null, null, null).toHooks();
        assertThat(h.run().enabled()).isTrue();
        assertThat(h.run().timeoutSeconds()).isEqualTo(5);
    }

    @Test
    void anOmittedHookAndOneThatSaysEnabledFalseAreDisabled() {
        Hooks h = new Dtos.HooksDto(9100, null, new Dtos.HookDto(false, 5), null, null, null, null).toHooks();
        assertThat(h.ready().enabled()).isFalse();
        assertThat(h.validate().enabled()).isFalse();
        assertThat(h.port()).isEqualTo(9100);
    }
}
