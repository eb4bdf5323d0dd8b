package dev.burrow.daemon.api;

/** The microVM operations of the Lambda MicroVMs door (SPEC §8), onto MicroVmService, Tokens and the ingress. */
final class AwsMicroVmRoutes {

    void register(ApiServer api) {
        api.awsRoute("POST", "/2025-09-09/microvms", this::runMicrovm);
        api.awsRoute("GET", "/2025-09-09/microvms", this::listMicrovms);
        api.awsRoute("GET", "/2025-09-09/microvms/{microvmIdentifier}", this::getMicrovm);
        api.awsRoute("DELETE", "/2025-09-09/microvms/{microvmIdentifier}", this::terminateMicrovm);
        api.awsRoute("POST", "/2025-09-09/microvms/{microvmIdentifier}/suspend", this::suspendMicrovm);
        api.awsRoute("POST", "/2025-09-09/microvms/{microvmIdentifier}/resume", this::resumeMicrovm);
        api.awsRoute("POST", "/2025-09-09/microvms/{microvmIdentifier}/auth-token", this::createMicrovmAuthToken);
        api.awsRoute("POST", "/2025-09-09/microvms/{microvmIdentifier}/shell-auth-token", this::createMicrovmShellAuthToken);
    }

    /** RunMicrovm. */
    private void runMicrovm(Call c) throws Exception {
        throw AwsErrors.notYetServed("RunMicrovm");
    }

    /** ListMicrovms. */
    private void listMicrovms(Call c) throws Exception {
        throw AwsErrors.notYetServed("ListMicrovms");
    }

    /** GetMicrovm. */
    private void getMicrovm(Call c) throws Exception {
        throw AwsErrors.notYetServed("GetMicrovm");
    }

    /** TerminateMicrovm. */
    private void terminateMicrovm(Call c) throws Exception {
        throw AwsErrors.notYetServed("TerminateMicrovm");
    }

    /** SuspendMicrovm. */
    private void suspendMicrovm(Call c) throws Exception {
        throw AwsErrors.notYetServed("SuspendMicrovm");
    }

    /** ResumeMicrovm. */
    private void resumeMicrovm(Call c) throws Exception {
        throw AwsErrors.notYetServed("ResumeMicrovm");
    }

    /** CreateMicrovmAuthToken. */
    private void createMicrovmAuthToken(Call c) throws Exception {
        throw AwsErrors.notYetServed("CreateMicrovmAuthToken");
    }

    /** CreateMicrovmShellAuthToken. */
    private void createMicrovmShellAuthToken(Call c) throws Exception {
        throw AwsErrors.notYetServed("CreateMicrovmShellAuthToken");
    }
}
