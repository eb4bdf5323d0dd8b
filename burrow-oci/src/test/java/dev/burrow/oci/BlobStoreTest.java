package dev.burrow.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.oci.internal.Sha256;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobStoreTest {
    @TempDir
    Path tmp;

    @Test
    void storesByDigestOnce() throws Exception {
        BlobStore store = new BlobStore(tmp);
        byte[] bytes = "hello".getBytes(StandardCharsets.UTF_8);
        Digest d = store.put(bytes);
        assertThat(d).isEqualTo(Sha256.of(bytes));
        assertThat(store.path(d)).isEqualTo(tmp.resolve("sha256").resolve(d.hex())).hasBinaryContent(bytes);
        assertThat(store.put(new ByteArrayInputStream(bytes), d)).isEqualTo(d);
        assertThat(Files.list(tmp.resolve("sha256"))).hasSize(1);
        assertThat(Files.list(tmp.resolve("tmp"))).isEmpty();
        assertThat(Files.getPosixFilePermissions(store.path(d))).hasSize(3); // r--r--r--
    }

    @Test
    void rejectsContentThatDoesNotMatch() throws Exception {
        BlobStore store = new BlobStore(tmp);
        Digest expected = Sha256.of("a".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> store.put(new ByteArrayInputStream("b".getBytes(StandardCharsets.UTF_8)), expected))
                .isInstanceOf(ImageException.class)
                .hasMessageStartingWith("content does not match its digest " + expected + " (got sha256:");
        assertThat(store.contains(expected)).isFalse();
        assertThat(Files.list(tmp.resolve("tmp"))).isEmpty();
        assertThat(Files.list(tmp.resolve("sha256"))).isEmpty();
    }

    @Test
    void enforcesALimit() throws Exception {
        BlobStore store = new BlobStore(tmp);
        assertThatThrownBy(() -> store.put(new ByteArrayInputStream(new byte[100]), null, 10))
                .hasMessage("blob is larger than the limit of 10 bytes");
    }

    @Test
    void concurrentPutsOfTheSameContentAreSafe() throws Exception {
        BlobStore store = new BlobStore(tmp);
        byte[] bytes = new byte[3 * 1024 * 1024];
        new java.util.Random(7).nextBytes(bytes);
        Digest expected = Sha256.of(bytes);
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<Digest>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Callable<Digest> put = () -> store.put(new ByteArrayInputStream(bytes), expected);
                futures.add(pool.submit(put));
            }
            for (Future<Digest> f : futures) {
                assertThat(f.get()).isEqualTo(expected);
            }
        }
        assertThat(store.path(expected)).hasBinaryContent(bytes);
        assertThat(Files.list(tmp.resolve("tmp"))).isEmpty();
    }

    @Test
    void digestParsing() throws Exception {
        String hex = "a".repeat(64);
        assertThat(Digest.parse("sha256:" + hex).hex()).isEqualTo(hex);
        assertThatThrownBy(() -> Digest.parse("sha512:" + hex + hex))
                .hasMessage("unsupported digest algorithm 'sha512' in 'sha512:" + (hex + hex).substring(0, 93)
                        + "…'; Burrow verifies sha256 digests only");
        assertThatThrownBy(() -> Digest.parse("sha256:ABC")).hasMessageContaining("malformed sha256 digest");
        assertThatThrownBy(() -> Digest.parse(hex)).hasMessageContaining("malformed digest");
    }
}
