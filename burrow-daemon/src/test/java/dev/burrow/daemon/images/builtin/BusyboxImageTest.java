package dev.burrow.daemon.images.builtin;

import static dev.burrow.daemon.images.builtin.BuiltinTestSupport.gid;
import static dev.burrow.daemon.images.builtin.BuiltinTestSupport.mode;
import static dev.burrow.daemon.images.builtin.BuiltinTestSupport.uid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.ImageSource;
import dev.burrow.oci.ImageUnpacker;
import dev.burrow.oci.ResolvedImage;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BusyboxImageTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void needsBusyboxStatic() {
        assumeTrue(Files.isRegularFile(BuiltinImages.HOST_BUSYBOX),
                "the host has no /bin/busybox: apt-get install busybox-static");
    }

    @Test
    void unpacksIntoAUsableRoot() throws Exception {
        Path layout = BuiltinImages.busybox(tmp.resolve("busybox"));
        assertThat(layout).isEqualTo(tmp.resolve("busybox"));
        assertThat(layout.resolve("index.json")).isRegularFile();
        assertThat(layout.resolve("oci-layout")).isRegularFile();

        List<String> warnings = new ArrayList<>();
        Path root = tmp.resolve("root");
        ImageUnpacker.Result r = BuiltinTestSupport.unpack(layout, tmp, root, warnings);
        assertThat(warnings).isEmpty();

        assertThat(r.config().cmd()).containsExactly("/bin/sh");
        assertThat(r.config().env()).containsExactly("PATH=" + BuiltinImages.PATH);
        assertThat(r.config().workingDir()).isEqualTo("/");
        assertThat(r.image().layers()).hasSize(1);

        assertThat(Files.isSymbolicLink(root.resolve("bin/sh"))).isTrue();
        assertThat(Files.readSymbolicLink(root.resolve("bin/sh"))).hasToString("/bin/busybox");
        assertThat(Files.readSymbolicLink(root.resolve("usr/bin/env"))).hasToString("/bin/busybox");
        assertThat(Files.isRegularFile(root.resolve("bin/busybox"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(mode(root.resolve("bin/busybox"))).isEqualTo(0755);
        assertThat(Files.mismatch(root.resolve("bin/busybox"), BuiltinImages.HOST_BUSYBOX)).isEqualTo(-1);
        assertThat(root.resolve("linuxrc")).doesNotExist();

        assertThat(mode(root.resolve("tmp"))).isEqualTo(01777);
        assertThat(mode(root.resolve("var/tmp"))).isEqualTo(01777);
        assertThat(mode(root.resolve("root"))).isEqualTo(0700);
        for (String d : List.of("proc", "sys", "dev", "run", "var/tmp", "home/burrow", "etc")) {
            assertThat(Files.isDirectory(root.resolve(d), LinkOption.NOFOLLOW_LINKS)).as(d).isTrue();
        }
        assertThat(Files.readString(root.resolve("etc/passwd")))
                .contains("root:x:0:0:root:/root:/bin/sh\n", "burrow:x:1000:1000:burrow:/home/burrow:/bin/sh\n",
                        "nobody:x:65534:65534:");
        assertThat(Files.readString(root.resolve("etc/group"))).contains("burrow:x:1000:\n");
        assertThat(Files.readString(root.resolve("etc/hostname"))).isEqualTo("burrow\n");
        assertThat(mode(root.resolve("etc/shadow"))).isEqualTo(0600);

        if (BuiltinTestSupport.runningAsRoot()) { // ownership is applied only when unpacking as root
            assertThat(uid(root.resolve("home/burrow"))).isEqualTo(1000);
            assertThat(gid(root.resolve("home/burrow"))).isEqualTo(1000);
            assertThat(uid(root.resolve("bin/busybox"))).isZero();
            // the root works: busybox's shell, its applets and the user database
            assertThat(BuiltinTestSupport.run(root, "/bin/sh", "-c", "id burrow; cd ~burrow && pwd; ls -ld /tmp"))
                    .contains("uid=1000(burrow) gid=1000(burrow)", "/home/burrow", "drwxrwxrwt");
        }
    }

    @Test
    void isDeterministic() throws Exception {
        Path a = BuiltinImages.busybox(tmp.resolve("a"));
        Path b = BuiltinImages.busybox(tmp.resolve("b"));
        ResolvedImage ia = ImageSource.open(a, new BlobStore(tmp.resolve("store-a"))).resolve();
        ResolvedImage ib = ImageSource.open(b, new BlobStore(tmp.resolve("store-b"))).resolve();
        assertThat(ia.manifestDigest()).isEqualTo(ib.manifestDigest());
        assertThat(ia.layers()).isEqualTo(ib.layers());
        assertThat(Files.mismatch(a.resolve("index.json"), b.resolve("index.json"))).isEqualTo(-1);
    }

    @Test
    void createsItsDirectoryOrUsesAnEmptyOne() throws Exception {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertThat(BuiltinImages.busybox(empty).resolve("index.json")).isRegularFile();
        Path nested = BuiltinImages.busybox(tmp.resolve("x/y/z"));
        assertThat(nested.resolve("index.json")).isRegularFile();
        try (var s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-"));
        }
    }

    @Test
    void refusesANonEmptyDirectory() throws Exception {
        Path full = Files.createDirectory(tmp.resolve("full"));
        Files.writeString(full.resolve("keep"), "mine");
        assertThatThrownBy(() -> BuiltinImages.busybox(full)).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(full.resolve("keep")).hasContent("mine");
    }

    @Test
    void namesThePackageWhenBusyboxIsMissing() {
        assertThatThrownBy(() -> BuiltinImages.busybox(tmp.resolve("out"), tmp.resolve("no-busybox")))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("apt-get install busybox-static");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void rejectsADynamicallyLinkedBinary() {
        assertThatThrownBy(() -> BuiltinImages.busybox(tmp.resolve("out"), Path.of("/bin/ls")))
                .hasMessageContaining("dynamically linked")
                .hasMessageContaining("busybox-static");
    }

    @Test
    void rejectsSomethingThatIsNotAnExecutable() throws Exception {
        Path text = Files.writeString(tmp.resolve("busybox"), "#!/bin/sh\necho hi\n");
        assertThatThrownBy(() -> BuiltinImages.busybox(tmp.resolve("out"), text))
                .hasMessageContaining("not an x86-64 ELF executable");
    }
}
