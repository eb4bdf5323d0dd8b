package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which Host headers reach the API (DNS rebinding: a foreign name that resolves to loopback must not). */
class HostCheckTest {

    private static HostCheck check(String listen, String domain, int port) {
        HostCheck c = new HostCheck(listen, domain);
        c.port(port);
        return c;
    }

    @Test
    void loopbackNamesAndTheListenHostAreAcceptedWithTheListenPortOnly() {
        HostCheck c = check("10.0.0.5", "localhost", 7070);
        for (String ok : new String[] {"localhost:7070", "LOCALHOST:7070", "127.0.0.1:7070", "[::1]:7070", "a.localhost:7070", "10.0.0.5:7070"}) {
            assertThat(c.reject(ok)).as(ok).isNull();
        }
        for (String bad : new String[] {"localhost:7071", "localhost", "127.0.0.1:80", "10.0.0.5", "127.0.0.2:7070", "localhost:x"}) {
            assertThat(c.reject(bad)).as(bad).isNotNull();
        }
    }

    @Test
    void aForeignNameIsRefusedWhateverItResolvesTo() {
        HostCheck c = check("127.0.0.1", "localhost", 7070);
        for (String bad : new String[] {"attacker.example:7070", "localhost.attacker.example:7070", "evil-localhost:7070", "", null}) {
            assertThat(c.reject(bad)).as(String.valueOf(bad)).isNotNull();
        }
    }

    @Test
    void theConfiguredDomainAndItsIngressNamesAreAcceptedOnAnyPort() {
        HostCheck c = check("127.0.0.1", "burrow.example.com", 7070);
        for (String ok : new String[] {"burrow.example.com", "burrow.example.com:443", "8080-vm1.burrow.example.com"}) {
            assertThat(c.reject(ok)).as(ok).isNull();
        }
        assertThat(c.reject("notburrow.example.com")).isNotNull();
        assertThat(c.reject("burrow.example.com.attacker.example")).isNotNull();
    }
}
