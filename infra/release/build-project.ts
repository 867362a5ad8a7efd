// One CodeBuild project of the release pipeline, with its own log group and
// its own role: the arm64 Linux image, the buildspec read from the repository.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BoundedRoleArgs } from "../bounded-role";

/** CodeBuild's Amazon Linux 2023 image for arm64 (Node.js 20 and 22, Docker, AWS CLI). */
export const CODEBUILD_IMAGE = "aws/codebuild/amazonlinux-aarch64-standard:3.0";
/** The smallest arm64 size: 2 vCPUs, 4 GiB ("arm1.small" on the price list). */
export const CODEBUILD_COMPUTE = "BUILD_GENERAL1_SMALL";

export interface BuildProjectArgs extends BoundedRoleArgs {
  /** Path of the buildspec in the repository. */
  buildspec: string;
  /** Docker inside the build (the image build and the Runtime Interface Emulator run). */
  privileged: boolean;
  timeoutInMinutes: number;
  logRetentionDays: number;
  /** "CODEPIPELINE", or a repository checkout of its own. */
  source: Pick<aws.types.input.codebuild.ProjectSource, "type" | "location" | "auth">;
  /** The branch a project with its own checkout builds. */
  sourceVersion?: string;
  environment: Record<string, pulumi.Input<string>>;
  /** Environment variables read from Secrets Manager (name -> secret name or ARN). */
  secrets?: Record<string, string>;
  /** The role's trust policy: CodeBuild, for this stack's projects (serviceTrust). */
  trust: pulumi.Input<string>;
  /** The role's policy, given the project's own log group ARN and the role's own ARN. */
  policy: (
    logGroupArn: pulumi.Output<string>,
    roleArn: pulumi.Output<string>,
  ) => pulumi.Input<string>;
}

export class BuildProject extends pulumi.ComponentResource {
  readonly project: aws.codebuild.Project;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: BuildProjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:release:BuildProject", name, {}, opts);
    const child = { parent: this };

    this.logGroup = new aws.cloudwatch.LogGroup(
      name,
      { retentionInDays: args.logRetentionDays },
      child,
    );
    this.role = new aws.iam.Role(
      name,
      { assumeRolePolicy: args.trust, permissionsBoundary: args.permissionsBoundary },
      child,
    );
    const policy = new aws.iam.RolePolicy(
      name,
      { role: this.role.id, policy: args.policy(this.logGroup.arn, this.role.arn) },
      child,
    );

    const variables = [
      ...Object.entries(args.environment).map(([variable, value]) => ({
        name: variable,
        value,
        type: "PLAINTEXT",
      })),
      ...Object.entries(args.secrets ?? {}).map(([variable, secret]) => ({
        name: variable,
        value: secret,
        type: "SECRETS_MANAGER",
      })),
    ];
    this.project = new aws.codebuild.Project(
      name,
      {
        serviceRole: this.role.arn,
        buildTimeout: args.timeoutInMinutes,
        source: { ...args.source, buildspec: args.buildspec },
        sourceVersion: args.sourceVersion,
        artifacts: { type: args.source.type === "CODEPIPELINE" ? "CODEPIPELINE" : "NO_ARTIFACTS" },
        environment: {
          type: "ARM_CONTAINER",
          image: CODEBUILD_IMAGE,
          computeType: CODEBUILD_COMPUTE,
          privilegedMode: args.privileged,
          imagePullCredentialsType: "CODEBUILD",
          environmentVariables: variables,
        },
        logsConfig: { cloudwatchLogs: { groupName: this.logGroup.name } },
      },
      // a build must not start before its role may write its logs
      { parent: this, dependsOn: [policy] },
    );
    this.registerOutputs({ project: this.project.name });
  }
}
