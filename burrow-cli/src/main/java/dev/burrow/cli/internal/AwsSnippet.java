package dev.burrow.cli.internal;

import java.util.Locale;

/**
 * What {@code burrow admin key create --aws} prints after the bearer key: the AWS credentials as
 * a named profile for {@code ~/.aws/credentials} and {@code ~/.aws/config} (with the
 * lambda-microvms endpoint pointed at burrowd), and as environment variables. boto3 and the JS SDK
 * v3 both read {@code AWS_ENDPOINT_URL_LAMBDA_MICROVMS} (the service id "Lambda Microvms") and a
 * profile's {@code services} section, so a team changes no code, only where it points. botocore
 * reads the region from {@code AWS_DEFAULT_REGION}, the JS SDK from {@code AWS_REGION}: both are set.
 */
final class AwsSnippet {

    /** Any region is accepted by burrowd; the snippet names this one. */
    static final String REGION = "us-east-1";
    /** The key of the lambda-microvms client in a {@code [services …]} section and in the endpoint variable. */
    static final String SERVICE_KEY = "lambda_microvms";

    private AwsSnippet() {}

    static String of(String profile, String accessKeyId, String secretAccessKey, String endpoint) {
        return "\n# ~/.aws/credentials\n"
                + "[" + profile + "]\n"
                + "aws_access_key_id = " + accessKeyId + "\n"
                + "aws_secret_access_key = " + secretAccessKey + "\n"
                + "\n# ~/.aws/config (then AWS_PROFILE=" + profile + ")\n"
                + "[profile " + profile + "]\n"
                + "region = " + REGION + "\n"
                + "services = " + profile + "\n"
                + "[services " + profile + "]\n"
                + SERVICE_KEY + " =\n"
                + "  endpoint_url = " + endpoint + "\n"
                + "\n# or in the environment\n"
                + "export AWS_ACCESS_KEY_ID=" + accessKeyId + "\n"
                + "export AWS_SECRET_ACCESS_KEY=" + secretAccessKey + "\n"
                + "export AWS_REGION=" + REGION + " AWS_DEFAULT_REGION=" + REGION + "\n"
                + "export AWS_ENDPOINT_URL_" + SERVICE_KEY.toUpperCase(Locale.ROOT) + "=" + endpoint + "\n";
    }
}
