package dev.burrow.daemon.api;

/** The image, version and build operations of the Lambda MicroVMs door (SPEC §8), onto ImageService. */
final class AwsImageRoutes {

    void register(ApiServer api) {
        api.awsRoute("POST", "/2025-09-09/microvm-images", this::createMicrovmImage);
        api.awsRoute("GET", "/2025-09-09/microvm-images", this::listMicrovmImages);
        api.awsRoute("GET", "/2025-09-09/microvm-images/{imageIdentifier}", this::getMicrovmImage);
        api.awsRoute("PUT", "/2025-09-09/microvm-images/{imageIdentifier}", this::updateMicrovmImage);
        api.awsRoute("DELETE", "/2025-09-09/microvm-images/{imageIdentifier}", this::deleteMicrovmImage);
        api.awsRoute("GET", "/2025-09-09/microvm-images/{imageIdentifier}/versions", this::listMicrovmImageVersions);
        api.awsRoute("GET", "/2025-09-09/microvm-images/{imageIdentifier}/versions/{imageVersion}", this::getMicrovmImageVersion);
        api.awsRoute("PATCH", "/2025-09-09/microvm-images/{imageIdentifier}/versions/{imageVersion}", this::updateMicrovmImageVersion);
        api.awsRoute("DELETE", "/2025-09-09/microvm-images/{imageIdentifier}/versions/{imageVersion}", this::deleteMicrovmImageVersion);
        api.awsRoute("GET", "/2025-09-09/microvm-images/{imageIdentifier}/versions/{imageVersion}/builds", this::listMicrovmImageBuilds);
        api.awsRoute("GET", "/2025-09-09/microvm-images/{imageIdentifier}/versions/{imageVersion}/builds/{buildId}", this::getMicrovmImageBuild);
    }

    /** CreateMicrovmImage. */
    private void createMicrovmImage(Call c) throws Exception {
        throw AwsErrors.notYetServed("CreateMicrovmImage");
    }

    /** ListMicrovmImages. */
    private void listMicrovmImages(Call c) throws Exception {
        throw AwsErrors.notYetServed("ListMicrovmImages");
    }

    /** GetMicrovmImage. */
    private void getMicrovmImage(Call c) throws Exception {
        throw AwsErrors.notYetServed("GetMicrovmImage");
    }

    /** UpdateMicrovmImage. */
    private void updateMicrovmImage(Call c) throws Exception {
        throw AwsErrors.notYetServed("UpdateMicrovmImage");
    }

    /** DeleteMicrovmImage. */
    private void deleteMicrovmImage(Call c) throws Exception {
        throw AwsErrors.notYetServed("DeleteMicrovmImage");
    }

    /** ListMicrovmImageVersions. */
    private void listMicrovmImageVersions(Call c) throws Exception {
        throw AwsErrors.notYetServed("ListMicrovmImageVersions");
    }

    /** GetMicrovmImageVersion. */
    private void getMicrovmImageVersion(Call c) throws Exception {
        throw AwsErrors.notYetServed("GetMicrovmImageVersion");
    }

    /** UpdateMicrovmImageVersion. */
    private void updateMicrovmImageVersion(Call c) throws Exception {
        throw AwsErrors.notYetServed("UpdateMicrovmImageVersion");
    }

    /** DeleteMicrovmImageVersion. */
    private void deleteMicrovmImageVersion(Call c) throws Exception {
        throw AwsErrors.notYetServed("DeleteMicrovmImageVersion");
    }

    /** ListMicrovmImageBuilds. */
    private void listMicrovmImageBuilds(Call c) throws Exception {
        throw AwsErrors.notYetServed("ListMicrovmImageBuilds");
    }

    /** GetMicrovmImageBuild. */
    private void getMicrovmImageBuild(Call c) throws Exception {
        throw AwsErrors.notYetServed("GetMicrovmImageBuild");
    }
}
