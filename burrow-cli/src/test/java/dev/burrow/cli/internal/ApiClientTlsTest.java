package dev.burrow.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ApiClientTlsTest {
    @Test
    void aClientForAnHttpUrlIsGivenTheRefusingContextNotTheDefaultOne() {
        assertThat(new ApiClient("http://127.0.0.1:7070", null).http().sslContext().getProtocol()).isEqualTo("none");
        assertThat(new ApiClient("HTTP://127.0.0.1:7070/", null).http().sslContext().getProtocol()).isEqualTo("none");
    }

    @Test
    void aClientForAnHttpsUrlKeepsTheJdksDefaultTls() {
        assertThat(new ApiClient("https://burrow.example", null).http().sslContext().getProtocol()).isNotEqualTo("none");
    }

    @Test
    void theRefusingContextSaysWhyWhenSomethingTriesTls() {
        assertThatThrownBy(() -> NoTls.context().createSSLEngine()).hasMessage(NoTls.REFUSAL);
        assertThatThrownBy(() -> NoTls.context().getSocketFactory()).hasMessage(NoTls.REFUSAL);
    }
}
