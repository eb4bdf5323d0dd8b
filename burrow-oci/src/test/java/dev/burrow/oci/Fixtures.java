package dev.burrow.oci;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** Builds test images and unpacks them. */
final class Fixtures {
    private Fixtures() {
    }

    @SafeVarargs
    static Path layout(Path dir, List<TarEntrySpec>... layers) throws IOException {
        OciLayoutWriter w = new OciLayoutWriter(ImageConfig.EMPTY);
        for (List<TarEntrySpec> l : layers) {
            w.addLayer(l);
        }
        w.writeLayout(dir);
        return dir;
    }

    static ImageUnpacker.Result unpack(Path image, BlobStore store, Path staging, List<String> warnings)
            throws IOException {
        ImageSource src = ImageSource.open(image, store);
        return new ImageUnpacker().unpack(src, staging, warnings::add);
    }

    static ImageUnpacker.Result unpack(Path image, Path work, Path staging) throws IOException {
        return unpack(image, new BlobStore(work.resolve("store")), staging, new ArrayList<>());
    }

    static byte[] gzipTar(List<TarEntrySpec> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            dev.burrow.oci.internal.TarWriting.write(entries, gz, OciLayoutWriter.FIXED_MTIME);
        }
        return bytes.toByteArray();
    }
}
