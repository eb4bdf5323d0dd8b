package dev.burrow.vmm;

/** The virtual hardware size of a microVM; fixed when its template is made. */
public record MachineSpec(int vcpus, int memoryMiB) {

    public static final MachineSpec DEFAULT = new MachineSpec(1, 512);

    public MachineSpec {
        if (vcpus < 1 || vcpus > 16) {
            throw new IllegalArgumentException("vcpus must be 1..16: " + vcpus);
        }
        if (memoryMiB < 128 || memoryMiB > 32768) {
            throw new IllegalArgumentException("memoryMiB must be 128..32768: " + memoryMiB);
        }
    }
}
