package dev.burrow.daemon.files;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.jail.JailIds;
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

    @Test
    void whatJailsReadKeepsItsGroupPermissionsForTheInstancesVmmGroupButNeverOthers() throws Exception {
        Path data = Files.createDirectory(tmp.resolve("data"));
        long vmmGroup = JailIds.forInstance(EngineConfig.instanceIdFor(data)).group();
        Path template = Files.writeString(data.resolve("memory"), "ram");
        Files.setAttribute(template, "unix:gid", (int) vmmGroup);
        Files.setPosixFilePermissions(template, PosixFilePermissions.fromString("rw-rw-r--"));
        Path other = Files.writeString(data.resolve("other"), "x");
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-r-----"));

        FileModes.secureDataDirectory(data);

        assertThat(mode(template)).isEqualTo("rw-rw----"); // jails read (and on QEMU < 8.2 open) it
        assertThat(mode(other)).isEqualTo("rw-------");
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
