/**
 * The Lambda MicroVMs-compatible door (SPEC §8), the parts that know nothing of HTTP routing:
 * its errors ({@link dev.burrow.daemon.aws.AwsError}), account ids and ARNs, the caller a signed
 * request speaks for ({@link dev.burrow.daemon.aws.AwsPrincipal}) and the authenticator that
 * finds it. The routes that map each operation onto Burrow's own services live in
 * {@code dev.burrow.daemon.api} beside the {@code /v1} routes, on the same listener.
 */
package dev.burrow.daemon.aws;
