package dev.burrow.vmm;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.burrow.vmm.internal.Durable;
import dev.burrow.vmm.qemu.internal.GuestMemory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A snapshot: guest memory (a file that never changes after the snapshot, or — when
 * {@code memoryFile} is null — inside the state stream), device state, and the frozen disk every microVM's overlay sits on — plus the host profile it was made
 * under, which a restore must match. Stored as {@code template.json} in its directory.
 */
public record Template(String id, MachineSpec machine, HostProfile profile, Instant createdAt,
                       String memoryFile, String stateFile, String diskFile, String pristineOverlayFile,
                       String deltaFile, String deltaIndexFile, @JsonIgnore Path dir) {

    /** The manifest's file name: a directory holds a complete template or saved state once this is durable in it. */
    public static final String MANIFEST = "template.json";
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** The memory file, or null when the guest RAM travels inside the state file (a snapshot of a privately mapped microVM). */
    public Path memory() {
        return memoryFile == null ? null : dir.resolve(memoryFile);
    }

    public Path state() {
        return dir.resolve(stateFile);
    }

    /**
     * A suspended microVM's dirtied pages, written over the (template) memory file before its
     * device state is loaded; null for a plain template. Its state file then holds device state only.
     */
    public Path delta() {
        return deltaFile == null ? null : dir.resolve(deltaFile);
    }

    public Path deltaIndex() {
        return deltaIndexFile == null ? null : dir.resolve(deltaIndexFile);
    }

    /** Bytes of guest memory the delta carries (what the microVM had dirtied when suspended); 0 without one. */
    public long deltaBytes() throws IOException {
        return deltaIndexFile == null ? 0
                : GuestMemory.pageCount(deltaIndex()) * GuestMemory.PAGE;
    }

    public Path disk() {
        return dir.resolve(diskFile);
    }

    public Path pristineOverlay() {
        return dir.resolve(pristineOverlayFile);
    }

    /** Writes the manifest durably: a fsync'd temporary file renamed into place, then the directory fsync'd. */
    public void save() throws IOException {
        Durable.write(dir.resolve(MANIFEST), JSON.writeValueAsBytes(this));
    }

    public static Template load(Path dir) throws IOException {
        Template t = JSON.readValue(dir.resolve(MANIFEST).toFile(), Template.class);
        return new Template(t.id, t.machine, t.profile, t.createdAt, t.memoryFile, t.stateFile, t.diskFile,
                t.pristineOverlayFile, t.deltaFile, t.deltaIndexFile, dir);
    }
}
