package dev.burrow.daemon.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileModesTest {

    @TempDir
    Path tmp;

    @Test
    void underTheRestrictedUmaskNewFilesAre0600AndDirectories0700() throws Exception {
        FileModes.restrictUmask();
        Path d = Files.createDirectory(tmp.resolve("d"));
        Path f = Files.writeString(d.resolve("f"), "x");
        assertThat(mode(d)).isEqualTo("rwx------");
        assertThat(mode(f)).isEqualTo("rw-------");
    }

    @Test
    void anOlderDataDirectoryIsTightenedAndSymlinksAreNotFollowed() throws Exception {
        Path outside = Files.writeString(tmp.resolve("outside"), "not burrow's");
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rw-r--r--"));
        Path data = Files.createDirectory(tmp.resolve("data"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path sub = Files.createDirectory(data.resolve("tenants"));
        Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path db = Files.writeString(data.resolve("burrow.db"), "rows");
        Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rw-r--r--"));
        Files.createSymbolicLink(data.resolve("link"), outside);

        int tightened = FileModes.secureDataDirectory(data);

        assertThat(tightened).isEqualTo(3);
        assertThat(mode(data)).isEqualTo("rwx------");
        assertThat(mode(sub)).isEqualTo("rwx------");
        assertThat(mode(db)).isEqualTo("rw-------");
        assertThat(mode(outside)).isEqualTo("rw-r--r--");
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
