// The optional release pipeline (docs/release-pipeline.md): a CodePipeline V2
// that takes the configured branch through build-and-test, an optional
// approval and `pulumi up` with a smoke test, started by pushes that touch the
// image or the stack and by a scheduled version check. Every run's result
// goes to an SNS topic.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BoundedRoleArgs } from "../bounded-role";
import { SecureBucket } from "../bucket";
import { resourcePrefix, type ReleasePipelineSettings, type Settings } from "../config";
import { BuildProject } from "./build-project";
import {
  buildPolicy,
  deployPolicy,
  eventBusArn,
  pipelinePolicy,
  s3Backend,
  versionCheckPolicy,
  type Scope,
} from "./policies";
import type { RoleBoundary } from "./role-boundary";
import { RunNotifications } from "./run-notifications";
import { VersionSchedule } from "./version-schedule";
import { serviceTrust } from "../service-trust";

/** The buildspecs, by stage; files in the repository, read by CodeBuild from the checkout. */
export const BUILDSPECS = {
  build: "release/buildspec-build.yml",
  deploy: "release/buildspec-deploy.yml",
  versionCheck: "release/buildspec-version-check.yml",
};

/**
 * Pushes that touch one of these start the pipeline (CodePipeline allows 8
 * patterns): what goes into the image, the stack, or the pipeline itself.
 */
export const TRIGGER_PATHS = [
  "Dockerfile",
  "Pulumi.*.yaml",
  "package*.json",
  "index.ts",
  "function/**",
  "infra/**",
  "release/**",
  "{commands,scripts}/**",
];

/** Pipeline variable: "true" when the version check started the run with moved pins. */
export const APPLY_PINS = "APPLY_PINS";

/** Where the repository's own checkout comes from, per provider, for the version check. */
const SOURCE_TYPES = {
  GitHub: { type: "GITHUB", host: "https://github.com" },
  GitLab: { type: "GITLAB", host: "https://gitlab.com" },
  Bitbucket: { type: "BITBUCKET", host: "https://bitbucket.org" },
} as const;

/**
 * The stack the deploy stage updates. On Pulumi Cloud a bare name resolves
 * against the access token's default organisation, which need not be the one
 * that owns this stack: there the default is `org/project/stack` in full.
 */
export function deployedStack(
  release: Pick<ReleasePipelineSettings, "stack" | "backendUrl">,
  ownStack: string,
): string {
  const stack = release.stack === "" ? ownStack : release.stack;
  if (!release.backendUrl.startsWith("https://") || stack.includes("/")) return stack;
  return `${pulumi.getOrganization()}/${pulumi.getProject()}/${stack}`;
}

export interface ReleasePipelineArgs extends BoundedRoleArgs {
  settings: Settings;
  release: ReleasePipelineSettings;
  /** The stack that owns the pipeline; the deploy stage updates it unless config names another. */
  stack: string;
  repository: aws.ecr.Repository;
  /** The boundary the deploy role requires on every role it writes. */
  boundary: RoleBoundary;
}

export class ReleasePipeline extends pulumi.ComponentResource {
  readonly pipeline: aws.codepipeline.Pipeline;
  readonly topic: aws.sns.Topic;
  readonly artifacts: SecureBucket;
  readonly build: BuildProject;
  readonly deploy: BuildProject;
  readonly versionCheck: BuildProject;
  readonly schedule: VersionSchedule;
  readonly consoleUrl: pulumi.Output<string>;

  constructor(name: string, args: ReleasePipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:release:ReleasePipeline", name, {}, opts);
    const child = { parent: this };
    const { settings, release } = args;
    const json = (value: unknown): string => JSON.stringify(value);

    const targetStack = deployedStack(release, args.stack);
    // Pulumi.<stack>.yaml and resource names use the stack's own name, not org/project/
    const stackName = targetStack.split("/").at(-1)!;
    const region = aws.getRegionOutput({}, child).region;
    const identity = aws.getCallerIdentityOutput({}, child);
    const partition = aws.getPartitionOutput({}, child).partition;
    const scope: pulumi.Output<Scope> = pulumi
      .all([partition, region, identity.accountId])
      .apply(([p, r, a]) => ({
        partition: p,
        region: r,
        account: a,
        prefix: resourcePrefix(stackName),
      }));

    // Roles that only this stack's projects, pipeline and schedule may assume.
    // The pipeline's own resources carry the prefix of the stack that owns it.
    const ownPrefix = resourcePrefix(args.stack.split("/").at(-1)!);
    const trust = (
      service: string,
      resource: (arn: string) => string | string[],
    ): pulumi.Output<string> =>
      scope.apply((s) =>
        serviceTrust(
          `${service}.amazonaws.com`,
          s.account,
          resource(`arn:${s.partition}:${service}:${s.region}:${s.account}`),
        ),
      );
    const buildTrust = trust("codebuild", (arn) => `${arn}:project/${ownPrefix}-*`);

    this.artifacts = new SecureBucket(`${name}-artifacts`, { forceDestroy: true }, child);
    // pipeline artifacts are whole checkouts: a week is enough to look back at a run
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-artifacts`,
      {
        bucket: this.artifacts.name,
        rules: [{ id: "expire", status: "Enabled", filter: {}, expiration: { days: 7 } }],
      },
      child,
    );
    this.topic = new aws.sns.Topic(name, {}, child);
    if (settings.alarmEmail !== "") {
      new aws.sns.TopicSubscription(
        name,
        { topic: this.topic.arn, protocol: "email", endpoint: settings.alarmEmail },
        child,
      );
    }

    const pipelineEnvironment = { STACK: stackName, PULUMI_STACK: targetStack };
    this.build = new BuildProject(
      `${name}-build`,
      {
        buildspec: BUILDSPECS.build,
        trust: buildTrust,
        permissionsBoundary: args.permissionsBoundary,
        privileged: true,
        timeoutInMinutes: 60,
        logRetentionDays: settings.logRetentionDays,
        source: { type: "CODEPIPELINE" },
        environment: {
          ...pipelineEnvironment,
          IMAGE_REPOSITORY: args.repository.repositoryUrl,
          TOPIC_ARN: this.topic.arn,
        },
        policy: (logGroupArn) =>
          pulumi
            .all([logGroupArn, this.artifacts.arn, args.repository.arn, this.topic.arn])
            .apply(([log, bucket, repository, topic]) =>
              json(
                buildPolicy({
                  logGroupArn: log,
                  artifactBucketArn: bucket,
                  repositoryArn: repository,
                  topicArn: topic,
                }),
              ),
            ),
      },
      child,
    );

    const secrets: Record<string, string> = {};
    if (release.passphraseSecret !== "")
      secrets["PULUMI_CONFIG_PASSPHRASE"] = release.passphraseSecret;
    if (release.accessTokenSecret !== "")
      secrets["PULUMI_ACCESS_TOKEN"] = release.accessTokenSecret;
    const configuredBuckets = [settings.uploadBucketName, settings.resultsBucketName].filter(
      (bucket) => bucket !== "",
    );
    // the one role without the boundary: the role that requires it of the
    // others, and may not write its own policies (deployPolicy)
    this.deploy = new BuildProject(
      `${name}-deploy`,
      {
        buildspec: BUILDSPECS.deploy,
        trust: buildTrust,
        // `pulumi up` builds the function image with Docker (awsx.ecr.Image)
        privileged: true,
        timeoutInMinutes: 60,
        logRetentionDays: settings.logRetentionDays,
        source: { type: "CODEPIPELINE" },
        environment: {
          ...pipelineEnvironment,
          PULUMI_BACKEND_URL: release.backendUrl,
          // the deployed stack's roles carry it (roleBoundaryArn)
          ROLE_BOUNDARY_ARN: args.boundary.policy.arn,
        },
        secrets,
        policy: (logGroupArn, roleArn) =>
          pulumi
            .all([logGroupArn, roleArn, this.artifacts.arn, scope, args.boundary.policy.arn])
            .apply(([log, role, bucket, where, boundaryArn]) =>
              json(
                deployPolicy({
                  ...where,
                  roleArn: role,
                  boundaryArn,
                  logGroupArn: log,
                  artifactBucketArn: bucket,
                  secrets: Object.values(secrets),
                  stateBucket: s3Backend(release.backendUrl),
                  configuredBuckets,
                  existingUploadBucket: settings.uploadBucketName !== "",
                  eventBusArn: settings.enableEventBridge
                    ? eventBusArn(where, settings.eventBusName)
                    : undefined,
                  connectionArn: release.connectionArn,
                }),
              ),
            ),
      },
      child,
    );

    const pipelineRole = new aws.iam.Role(
      `${name}-pipeline`,
      {
        assumeRolePolicy: trust("codepipeline", (arn) => `${arn}:${ownPrefix}-*`),
        permissionsBoundary: args.permissionsBoundary,
      },
      child,
    );
    const pipelineRolePolicy = new aws.iam.RolePolicy(
      `${name}-pipeline`,
      {
        role: pipelineRole.id,
        policy: pulumi
          .all([
            this.artifacts.arn,
            this.build.project.arn,
            this.deploy.project.arn,
            this.topic.arn,
          ])
          .apply(([bucket, build, deploy, topic]) => {
            const policy = pipelinePolicy({
              artifactBucketArn: bucket,
              connectionArn: release.connectionArn,
              projectArns: [build, deploy],
            });
            if (release.manualApproval) {
              // the approval action announces itself on the topic
              (policy.Statement as aws.iam.PolicyStatement[]).push({
                Sid: "AnnounceApproval",
                Effect: "Allow",
                Action: ["sns:Publish"],
                Resource: [topic],
              });
            }
            return json(policy);
          }),
      },
      child,
    );

    const codeBuild = (
      actionName: string,
      project: BuildProject,
      input: string,
      output?: string,
    ): aws.types.input.codepipeline.PipelineStageAction => ({
      name: actionName,
      category: "Build",
      owner: "AWS",
      provider: "CodeBuild",
      version: "1",
      inputArtifacts: [input],
      outputArtifacts: output === undefined ? [] : [output],
      configuration: {
        ProjectName: project.project.name,
        EnvironmentVariables: json([
          { name: APPLY_PINS, value: `#{variables.${APPLY_PINS}}`, type: "PLAINTEXT" },
        ]),
      },
    });
    const stages: aws.types.input.codepipeline.PipelineStage[] = [
      {
        name: "Source",
        actions: [
          {
            name: "Source",
            category: "Source",
            owner: "AWS",
            provider: "CodeStarSourceConnection",
            version: "1",
            outputArtifacts: ["source"],
            configuration: {
              ConnectionArn: release.connectionArn,
              FullRepositoryId: release.repository,
              BranchName: release.branch,
              OutputArtifactFormat: "CODE_ZIP",
            },
          },
        ],
      },
      { name: "BuildAndTest", actions: [codeBuild("BuildAndTest", this.build, "source", "built")] },
    ];
    if (release.manualApproval) {
      stages.push({
        name: "Approve",
        actions: [
          {
            name: "Approve",
            category: "Approval",
            owner: "AWS",
            provider: "Manual",
            version: "1",
            configuration: {
              NotificationArn: this.topic.arn,
              CustomData: `Deploy stack ${targetStack}? The build's versions.txt artifact lists any pin change.`,
            },
          },
        ],
      });
    }
    stages.push({ name: "Deploy", actions: [codeBuild("Deploy", this.deploy, "built")] });

    this.pipeline = new aws.codepipeline.Pipeline(
      name,
      {
        pipelineType: "V2",
        // a version-triggered run and a push never cancel each other
        executionMode: "QUEUED",
        roleArn: pipelineRole.arn,
        artifactStores: [{ type: "S3", location: this.artifacts.name }],
        variables: [
          {
            name: APPLY_PINS,
            defaultValue: "false",
            description: "true: the build applies the latest pins (npm run versions -- --write)",
          },
        ],
        triggers: [
          {
            providerType: "CodeStarSourceConnection",
            gitConfiguration: {
              sourceActionName: "Source",
              pushes: [
                {
                  branches: { includes: [release.branch] },
                  filePaths: { includes: TRIGGER_PATHS },
                },
              ],
            },
          },
        ],
        stages,
      },
      { parent: this, dependsOn: [pipelineRolePolicy] },
    );
    new RunNotifications(
      `${name}-runs`,
      { topicArn: this.topic.arn, pipelineName: this.pipeline.name },
      child,
    );

    const source = SOURCE_TYPES[release.provider];
    this.versionCheck = new BuildProject(
      `${name}-versions`,
      {
        buildspec: BUILDSPECS.versionCheck,
        trust: buildTrust,
        permissionsBoundary: args.permissionsBoundary,
        privileged: false,
        timeoutInMinutes: 20,
        logRetentionDays: settings.logRetentionDays,
        source: {
          type: source.type,
          location: `${source.host}/${release.repository}.git`,
          auth: { type: "CODECONNECTIONS", resource: release.connectionArn },
        },
        sourceVersion: release.branch,
        environment: {
          ...pipelineEnvironment,
          PIPELINE_NAME: this.pipeline.name,
          TOPIC_ARN: this.topic.arn,
        },
        policy: (logGroupArn) =>
          pulumi
            .all([logGroupArn, this.pipeline.arn, this.topic.arn])
            .apply(([log, pipeline, topic]) =>
              json(
                versionCheckPolicy({
                  logGroupArn: log,
                  connectionArn: release.connectionArn,
                  pipelineArn: pipeline,
                  topicArn: topic,
                }),
              ),
            ),
      },
      child,
    );
    this.schedule = new VersionSchedule(
      `${name}-schedule`,
      {
        expression: release.schedule,
        projectName: this.versionCheck.project.name,
        projectArn: this.versionCheck.project.arn,
        // Scheduler's guide names the schedule group as the source; the schedule
        // itself is listed too, whichever a request carries
        trust: trust("scheduler", (arn) => [
          `${arn}:schedule-group/default`,
          `${arn}:schedule/default/${ownPrefix}-*`,
        ]),
        permissionsBoundary: args.permissionsBoundary,
      },
      child,
    );

    this.consoleUrl = pulumi.interpolate`https://${region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${this.pipeline.name}/view?region=${region}`;
    this.registerOutputs({ pipeline: this.pipeline.name, consoleUrl: this.consoleUrl });
  }
}
