/**
 * The Dockerfile front end: {@link dev.burrow.oci.dockerfile.Dockerfile#parse parsing} into
 * {@link dev.burrow.oci.dockerfile.Instruction}s and {@link dev.burrow.oci.dockerfile.Stage}s,
 * Docker's variable rules per stage ({@link dev.burrow.oci.dockerfile.StageEvaluator} turning
 * instructions into {@link dev.burrow.oci.dockerfile.Step}s), the hostile-safe
 * {@link dev.burrow.oci.dockerfile.BuildContext} with {@link dev.burrow.oci.dockerfile.DockerIgnore},
 * and the layers of COPY and ADD ({@link dev.burrow.oci.dockerfile.CopyLayerWriter}).
 *
 * <p>Nothing here runs a command: RUN steps are executed by the daemon's builder microVM. The
 * supported subset and every divergence from Docker are listed in the ADR
 * {@code docs/adr/0024-dockerfile-subset.md}; every limit is in
 * {@link dev.burrow.oci.dockerfile.DockerfileLimits} or {@link dev.burrow.oci.dockerfile.ContextLimits}.
 */
package dev.burrow.oci.dockerfile;
