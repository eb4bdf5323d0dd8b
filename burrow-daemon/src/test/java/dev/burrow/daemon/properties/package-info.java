/**
 * Property-based testing of burrowd's REST API from its OpenAPI document: requests (valid and
 * invalid) are generated from the document's parameters and schemas as jqwik arbitraries, sent
 * to a real in-process daemon, and every answer is checked against the same document.
 *
 * <p>{@link dev.burrow.daemon.properties.OpenApiOperations} reads the operations,
 * {@link dev.burrow.daemon.properties.SchemaValues} and {@link dev.burrow.daemon.properties.RegexStrings}
 * generate values, {@link dev.burrow.daemon.properties.Requests} builds requests with the
 * {@link dev.burrow.daemon.properties.Oracle}'s verdict on their validity,
 * {@link dev.burrow.daemon.properties.LiveDaemon} sends them (reads bounded by
 * {@link dev.burrow.daemon.properties.BoundedReads}) and keeps the fixture alive, and
 * {@link dev.burrow.daemon.properties.Verdicts} judges the answers.
 */
package dev.burrow.daemon.properties;
