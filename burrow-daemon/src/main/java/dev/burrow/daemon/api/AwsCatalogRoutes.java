package dev.burrow.daemon.api;

/** The managed images and tags of the Lambda MicroVMs door (SPEC §8): Burrow's built-in bases, image labels. */
final class AwsCatalogRoutes {

    void register(ApiServer api) {
        api.awsRoute("GET", "/2025-09-09/managed-microvm-images", this::listManagedMicrovmImages);
        api.awsRoute("GET", "/2025-09-09/managed-microvm-images/{imageIdentifier}/versions", this::listManagedMicrovmImageVersions);
        api.awsRoute("GET", "/2017-03-31/tags/{resource}", this::listTags);
        api.awsRoute("POST", "/2017-03-31/tags/{resource}", this::tagResource);
        api.awsRoute("DELETE", "/2017-03-31/tags/{resource}", this::untagResource);
    }

    /** ListManagedMicrovmImages. */
    private void listManagedMicrovmImages(Call c) throws Exception {
        throw AwsErrors.notYetServed("ListManagedMicrovmImages");
    }

    /** ListManagedMicrovmImageVersions. */
    private void listManagedMicrovmImageVersions(Call c) throws Exception {
        throw AwsErrors.notYetServed("ListManagedMicrovmImageVersions");
    }

    /** ListTags. */
    private void listTags(Call c) throws Exception {
        throw AwsErrors.notYetServed("ListTags");
    }

    /** TagResource. */
    private void tagResource(Call c) throws Exception {
        throw AwsErrors.notYetServed("TagResource");
    }

    /** UntagResource. */
    private void untagResource(Call c) throws Exception {
        throw AwsErrors.notYetServed("UntagResource");
    }
}
