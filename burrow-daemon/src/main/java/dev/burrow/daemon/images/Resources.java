package dev.burrow.daemon.images;

/** {@code resources: {vcpus, memoryMiB, diskMiB}} with SPEC §2's defaults and ranges. */
public record Resources(int vcpus, int memoryMiB, int diskMiB) {

    public static final Resources DEFAULT = new Resources(1, 512, 2048);

    public Resources {
        Validation.range("resources.vcpus", vcpus, 1, 16);
        Validation.range("resources.memoryMiB", memoryMiB, 128, 32768);
        Validation.range("resources.diskMiB", diskMiB, 1024, 32768);
    }
}
