package dev.burrow.daemon.images.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DebianSourceTest {
    @TempDir
    Path tmp;

    private static final String BOOKWORM = """
            PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
            NAME="Debian GNU/Linux"
            VERSION_ID="12"
            VERSION="12 (bookworm)"
            VERSION_CODENAME=bookworm
            ID=debian
            """;

    @Test
    void suiteIsTheHostsCodename() throws Exception {
        assertThat(DebianSource.suiteFromOsRelease(BOOKWORM)).isEqualTo("bookworm");
        assertThat(DebianSource.suiteFromOsRelease("ID=debian\nVERSION_CODENAME=\"trixie\"\n")).isEqualTo("trixie");
        // no VERSION_CODENAME (old releases): the name in VERSION's parentheses
        assertThat(DebianSource.suiteFromOsRelease("ID=\"debian\"\nVERSION=\"9 (stretch)\"\n")).isEqualTo("stretch");
    }

    @Test
    void anotherDistributionOrNoCodenameFails() {
        assertThatThrownBy(() -> DebianSource.suiteFromOsRelease("ID=ubuntu\nVERSION_CODENAME=noble\n"))
                .hasMessageContaining("not Debian");
        assertThatThrownBy(() -> DebianSource.suiteFromOsRelease("ID=debian\nVERSION_ID=\"13\"\n"))
                .hasMessageContaining("codename");
    }

    @Test
    void oneLineSources() {
        List<DebianSource.AptSource> s = DebianSource.parseOneLineStyle("""
                # deb http://commented.example/debian bookworm main
                deb-src http://src.example/debian bookworm main
                deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] https://mirror.example/debian/ bookworm main contrib
                deb [ trusted=yes ] http://other.example/debian bookworm-updates main # trailing comment
                """);
        assertThat(s).containsExactly(
                new DebianSource.AptSource("https://mirror.example/debian/", List.of("bookworm")),
                new DebianSource.AptSource("http://other.example/debian", List.of("bookworm-updates")));
    }

    @Test
    void deb822Sources() {
        List<DebianSource.AptSource> s = DebianSource.parseDeb822("""
                Types: deb-src
                URIs: http://src.example/debian
                Suites: bookworm

                Types: deb deb-src
                # http://snapshot.debian.org/archive/debian/20250520T000000Z
                URIs: http://a.example/debian
                  http://b.example/debian
                Suites: bookworm bookworm-updates
                Components: main

                Enabled: no
                Types: deb
                URIs: http://disabled.example/debian
                Suites: bookworm
                """);
        assertThat(s).containsExactly(
                new DebianSource.AptSource("http://a.example/debian", List.of("bookworm", "bookworm-updates")),
                new DebianSource.AptSource("http://b.example/debian", List.of("bookworm", "bookworm-updates")));
    }

    @Test
    void mirrorIsTheFirstSourceOfTheSuite() throws Exception {
        Path apt = Files.createDirectories(tmp.resolve("apt/sources.list.d"));
        Files.writeString(apt.resolveSibling("sources.list"), """
                deb cdrom:[Debian GNU/Linux 12]/ bookworm main
                deb http://security.example/debian-security bookworm-security main
                deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main
                """);
        Files.writeString(apt.resolve("a-nodesource.sources"), """
                Types: deb
                URIs: https://deb.nodesource.com/node_20.x
                Suites: nodistro
                """);
        Files.writeString(apt.resolve("b-debian.sources"), """
                Types: deb
                URIs: http://mirror.example/debian/
                Suites: bookworm bookworm-updates
                """);
        Files.writeString(apt.resolve("c-later.list"), "deb http://later.example/debian bookworm main\n");
        Files.writeString(apt.resolve("d-ignored.list.disabled"), "deb http://ignored.example/debian bookworm main\n");
        assertThat(DebianSource.mirrorFromApt(tmp.resolve("apt"), "bookworm")).contains("http://mirror.example/debian");
        assertThat(DebianSource.mirrorFromApt(tmp.resolve("apt"), "trixie")).isEmpty();
    }

    @Test
    void aDebianAliasIsTheSecondChoiceThenTheDefault() throws Exception {
        Path etc = tmp.resolve("etc");
        Files.createDirectories(etc.resolve("apt"));
        Files.writeString(etc.resolve("os-release"), BOOKWORM);
        assertThat(DebianSource.fromHost(etc.resolve("os-release"), etc.resolve("apt")))
                .isEqualTo(new DebianSource("bookworm", DebianSource.DEFAULT_MIRROR));
        Files.writeString(etc.resolve("apt/sources.list"), """
                deb http://user:secret@private.example/debian bookworm main
                deb ftp://old.example/debian bookworm main
                deb http://stable.example/debian stable main
                """);
        assertThat(DebianSource.fromHost(etc.resolve("os-release"), etc.resolve("apt")))
                .isEqualTo(new DebianSource("bookworm", "http://stable.example/debian"));
    }

    @Test
    void validatesSuiteAndMirror() {
        assertThatThrownBy(() -> new DebianSource("../etc", DebianSource.DEFAULT_MIRROR))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DebianSource("bookworm", "file:///srv/debian"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DebianSource("bookworm", "http://u:p@x.example/debian"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new DebianSource("bookworm", "HTTPS://x.example/debian///").mirror()).isEqualTo("HTTPS://x.example/debian");
    }

    @Test
    void theCacheKeyHoldsSuiteRecipeAndMirror() {
        String a = DebianPythonImage.cacheName(new DebianSource("bookworm", "http://deb.debian.org/debian"));
        String b = DebianPythonImage.cacheName(new DebianSource("bookworm", "http://mirror.example/debian"));
        String c = DebianPythonImage.cacheName(new DebianSource("trixie", "http://deb.debian.org/debian"));
        assertThat(a).startsWith("debian-python-bookworm-r" + BuiltinImages.DEBIAN_PYTHON_RECIPE_VERSION + "-");
        assertThat(a).isNotEqualTo(b).isNotEqualTo(c);
        assertThat(a).isEqualTo(DebianPythonImage.cacheName(new DebianSource("bookworm", "http://deb.debian.org/debian/")));
    }

    @Test
    void theHostIsReadable() throws Exception {
        if (Files.isRegularFile(Path.of("/etc/os-release"))
                && Files.readString(Path.of("/etc/os-release")).contains("ID=debian")) {
            DebianSource host = DebianSource.host();
            assertThat(host.suite()).isNotBlank();
            assertThat(host.mirror()).startsWith("http");
        }
    }
}
