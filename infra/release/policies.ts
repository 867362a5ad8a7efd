// The release pipeline's IAM documents, one per role. Pure, like
// infra/iam.ts, so tests inspect them directly. Every action is named in
// full (no wildcard), and every resource is this stack's (by ARN, or by the
// stack's name prefix where Pulumi names a resource only at creation), except
// the few actions AWS authorizes only on "*": each is listed, with its
// reason, in RESOURCE_STAR_ONLY.
import type * as aws from "@pulumi/aws";
import { publishResults } from "../iam";

type Statement = aws.iam.PolicyStatement;
type Document = aws.iam.PolicyDocument;

/** Actions that AWS accepts only with `"Resource": "*"`, and why each is needed. */
export const RESOURCE_STAR_ONLY: Record<string, string> = {
  // A registry login token is account-wide: ECR has no per-repository token.
  "ecr:GetAuthorizationToken": "docker login to ECR before a push or a pull",
  // ListBuckets has no resource: it answers with the caller's own bucket names
  "s3:ListAllMyBuckets": "pulumi up checks that an existing upload bucket is the account's own",
  // Lambda's permissions reference: no resource type, only the lambda:FunctionArn
  // condition key, which the statement sets to this stack's functions
  "lambda:CreateEventSourceMapping": "the queue's event source mapping (batchSize and the rest)",
};

/** Where the stack runs: ARNs of resources known only by their name prefix. */
export interface Scope {
  partition: string;
  region: string;
  account: string;
  /** `s3-exiftool-<stack>`: every resource Pulumi creates for the stack starts with it. */
  prefix: string;
}

export interface ProjectAccess {
  logGroupArn: string;
  artifactBucketArn: string;
}

const document = (statements: Statement[]): Document => ({
  Version: "2012-10-17",
  Statement: statements,
});

function projectBasics(access: ProjectAccess, writesArtifacts: boolean): Statement[] {
  return [
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [`${access.logGroupArn}:*`],
    },
    {
      Sid: "PipelineArtifacts",
      Effect: "Allow",
      Action: writesArtifacts
        ? ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
        : ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: [`${access.artifactBucketArn}/*`],
    },
    {
      Sid: "PipelineArtifactBucket",
      Effect: "Allow",
      Action: ["s3:GetBucketAcl", "s3:GetBucketLocation"],
      Resource: [access.artifactBucketArn],
    },
  ];
}

const ecrLogin: Statement = {
  Sid: "EcrLogin",
  Effect: "Allow",
  Action: ["ecr:GetAuthorizationToken"],
  Resource: ["*"],
};

const ECR_PUSH = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
];

/** Build and test: artifacts, its logs, a push to the stack's repository, a note to the topic. */
export function buildPolicy(
  access: ProjectAccess & { repositoryArn: string; topicArn: string },
): Document {
  return document([
    ...projectBasics(access, true),
    ecrLogin,
    { Sid: "PushImage", Effect: "Allow", Action: ECR_PUSH, Resource: [access.repositoryArn] },
    // the pins a version-triggered run applied
    { Sid: "Notify", Effect: "Allow", Action: ["sns:Publish"], Resource: [access.topicArn] },
  ]);
}

/**
 * CodeConnections was CodeStar Connections: AWS authorizes a connection's use
 * under either prefix, depending on the caller, so grant it under both, each
 * on the connection's ARN as that prefix spells it.
 */
export function connectionGrant(connectionArn: string, actions: string[]): Statement {
  const prefixes = ["codeconnections", "codestar-connections"];
  const [arn, partition, , ...rest] = connectionArn.split(":");
  return {
    Effect: "Allow",
    Action: prefixes.flatMap((prefix) => actions.map((action) => `${prefix}:${action}`)),
    Resource: prefixes.map((prefix) => [arn, partition, prefix, ...rest].join(":")),
  };
}

/** Version check: its own checkout through the connection, start the pipeline, notify. */
export function versionCheckPolicy(access: {
  logGroupArn: string;
  connectionArn: string;
  pipelineArn: string;
  topicArn: string;
}): Document {
  return document([
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [`${access.logGroupArn}:*`],
    },
    {
      Sid: "CheckoutThroughConnection",
      ...connectionGrant(access.connectionArn, [
        "GetConnection",
        "GetConnectionToken",
        "UseConnection",
      ]),
    },
    {
      Sid: "StartPipeline",
      Effect: "Allow",
      Action: ["codepipeline:StartPipelineExecution"],
      Resource: [access.pipelineArn],
    },
    { Sid: "Notify", Effect: "Allow", Action: ["sns:Publish"], Resource: [access.topicArn] },
  ]);
}

/** CodePipeline itself: the artifact store, the connection, its two CodeBuild projects. */
export function pipelinePolicy(access: {
  artifactBucketArn: string;
  connectionArn: string;
  projectArns: string[];
}): Document {
  return document([
    {
      Sid: "Artifacts",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
      Resource: [`${access.artifactBucketArn}/*`],
    },
    {
      Sid: "ArtifactBucket",
      Effect: "Allow",
      Action: ["s3:GetBucketVersioning", "s3:GetBucketLocation"],
      Resource: [access.artifactBucketArn],
    },
    { Sid: "Source", ...connectionGrant(access.connectionArn, ["UseConnection"]) },
    {
      Sid: "RunProjects",
      Effect: "Allow",
      Action: ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"],
      Resource: access.projectArns,
    },
  ]);
}

/** EventBridge Scheduler: start the version check, nothing else. */
export function schedulerPolicy(projectArn: string): Document {
  return document([
    {
      Sid: "StartVersionCheck",
      Effect: "Allow",
      Action: ["codebuild:StartBuild"],
      Resource: [projectArn],
    },
  ]);
}

export interface DeployAccess extends ProjectAccess, Scope {
  /** Secrets Manager secrets the project reads into its environment (ARNs or names). */
  secrets: string[];
  /** `s3://bucket[/path]` state backend, when the backend is S3. */
  stateBucket?: { bucket: string; path: string };
  /** Buckets named in the stack config (used, not created). */
  configuredBuckets: string[];
  /** The stack uses an existing upload bucket, which `pulumi up` checks is the account's own. */
  existingUploadBucket: boolean;
  /** The event bus the function publishes to, when EventBridge is on. */
  eventBusArn?: string;
  connectionArn: string;
  /** The deploy role's own ARN: it may not rewrite its own permissions. */
  roleArn: string;
  /** The permissions boundary every role it writes must carry (roleBoundaryPolicy). */
  boundaryArn: string;
}

/** Role-writing actions that IAM allows only with the boundary condition. */
export const BOUNDED_ROLE_ACTIONS = [
  "iam:CreateRole",
  "iam:PutRolePolicy",
  "iam:DeleteRolePolicy",
  "iam:PutRolePermissionsBoundary",
];

/** What would change a managed policy: denied to the deploy role on the boundary. */
export const BOUNDARY_POLICY_WRITES = [
  "iam:CreatePolicyVersion",
  "iam:DeletePolicyVersion",
  "iam:SetDefaultPolicyVersion",
  "iam:DeletePolicy",
];

/** The ARN of an event bus of the account, by name. */
export function eventBusArn(
  scope: Pick<Scope, "partition" | "region" | "account">,
  name: string,
): string {
  return `arn:${scope.partition}:events:${scope.region}:${scope.account}:event-bus/${name}`;
}

/** A secret named without its ARN: Secrets Manager appends six random characters. */
export function secretArn(scope: Scope, secret: string): string {
  return secret.startsWith("arn:")
    ? secret
    : `arn:${scope.partition}:secretsmanager:${scope.region}:${scope.account}:secret:${secret}-??????`;
}

/** `s3://bucket/path?region=x` into its bucket and key prefix; undefined for other backends. */
export function s3Backend(url: string): { bucket: string; path: string } | undefined {
  const match = /^s3:\/\/([^/?]+)\/?([^?]*)/.exec(url);
  if (!match) return undefined;
  const path = match[2]!.replace(/\/+$/, "");
  return { bucket: match[1]!, path: path === "" ? "" : `${path}/` };
}

/**
 * `pulumi up` of the whole stack: it creates, reads, updates and deletes
 * every kind of resource the stack has, so the role holds those actions on
 * every resource named with the stack's prefix. That includes IAM roles and
 * their inline policies, written only on roles that carry the boundary
 * (roleBoundaryPolicy), which it may neither change nor take off
 * (docs/release-pipeline.md, "The deploy role").
 */
export function deployPolicy(access: DeployAccess): Document {
  const { partition: p, region: r, account: a, prefix } = access;
  const named = (service: string, resource: string): string =>
    `arn:${p}:${service}:${r}:${a}:${resource}`;
  const ownBuckets = `arn:${p}:s3:::${prefix}-*`;
  const ownRoles = `arn:${p}:iam::${a}:role/${prefix}-*`;
  const statements: Statement[] = [
    ...projectBasics(access, false),
    ecrLogin,
    {
      Sid: "Secrets",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: access.secrets.map((secret) => secretArn(access, secret)),
    },
    {
      Sid: "Buckets",
      Effect: "Allow",
      Action: [
        "s3:CreateBucket",
        "s3:DeleteBucket",
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:GetBucketAcl",
        "s3:GetBucketCORS",
        "s3:GetBucketWebsite",
        "s3:GetBucketVersioning",
        "s3:GetAccelerateConfiguration",
        "s3:GetBucketRequestPayment",
        "s3:GetBucketLogging",
        "s3:GetLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:GetEncryptionConfiguration",
        "s3:PutEncryptionConfiguration",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetBucketTagging",
        "s3:PutBucketTagging",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        "s3:GetBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
        "s3:GetBucketNotification",
        "s3:PutBucketNotification",
      ],
      Resource: [ownBuckets, ...access.configuredBuckets.map((b) => `arn:${p}:s3:::${b}`)],
    },
    {
      // forceDestroy of the results and artifact buckets, and the smoke test's
      // upload, result read and clean-up
      Sid: "Objects",
      Effect: "Allow",
      Action: [
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:ListBucketVersions",
        "s3:DeleteObjectVersion",
      ],
      Resource: [`${ownBuckets}/*`, ...access.configuredBuckets.map((b) => `arn:${p}:s3:::${b}/*`)],
    },
    {
      Sid: "Queues",
      Effect: "Allow",
      Action: [
        "sqs:CreateQueue",
        "sqs:DeleteQueue",
        "sqs:GetQueueAttributes",
        "sqs:SetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ListQueueTags",
        "sqs:TagQueue",
        "sqs:UntagQueue",
      ],
      Resource: [named("sqs", `${prefix}-*`)],
    },
    {
      Sid: "Function",
      Effect: "Allow",
      Action: [
        "lambda:CreateFunction",
        "lambda:DeleteFunction",
        "lambda:GetFunction",
        "lambda:GetFunctionConfiguration",
        "lambda:GetFunctionCodeSigningConfig",
        "lambda:GetFunctionConcurrency",
        "lambda:ListVersionsByFunction",
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
        "lambda:PutFunctionConcurrency",
        "lambda:DeleteFunctionConcurrency",
        "lambda:ListTags",
        "lambda:TagResource",
        "lambda:UntagResource",
      ],
      Resource: [named("lambda", `function:${prefix}-*`)],
    },
    {
      // Lambda authorizes a new mapping on no resource ARN (it has none yet):
      // only the function it feeds scopes it
      Sid: "CreateEventSourceMapping",
      Effect: "Allow",
      Action: ["lambda:CreateEventSourceMapping"],
      Resource: ["*"],
      Condition: { ArnLike: { "lambda:FunctionArn": named("lambda", `function:${prefix}-*`) } },
    },
    {
      // event source mappings get a random UUID: scoped by the function they feed
      Sid: "EventSourceMapping",
      Effect: "Allow",
      Action: [
        "lambda:GetEventSourceMapping",
        "lambda:UpdateEventSourceMapping",
        "lambda:DeleteEventSourceMapping",
      ],
      Resource: [named("lambda", "event-source-mapping:*")],
      Condition: { ArnLike: { "lambda:FunctionArn": named("lambda", `function:${prefix}-*`) } },
    },
    {
      Sid: "Repository",
      Effect: "Allow",
      Action: [
        "ecr:CreateRepository",
        "ecr:DeleteRepository",
        "ecr:DescribeRepositories",
        "ecr:DescribeImages",
        "ecr:BatchDeleteImage",
        "ecr:PutImageScanningConfiguration",
        "ecr:PutLifecyclePolicy",
        "ecr:GetLifecyclePolicy",
        "ecr:DeleteLifecyclePolicy",
        "ecr:ListTagsForResource",
        "ecr:TagResource",
        "ecr:UntagResource",
        // CreateFunction from an image: when the repository policy does not yet
        // let Lambda pull, Lambda adds that statement as the caller
        "ecr:GetRepositoryPolicy",
        "ecr:SetRepositoryPolicy",
        ...ECR_PUSH,
      ],
      Resource: [named("ecr", `repository/${prefix}-*`)],
    },
    {
      Sid: "Roles",
      Effect: "Allow",
      Action: [
        "iam:DeleteRole",
        "iam:GetRole",
        "iam:UpdateRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:GetRolePolicy",
        "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole",
      ],
      Resource: [ownRoles],
    },
    {
      // A role's permissions are written only on roles that carry the
      // boundary: whatever policy the role gets, it can do no more than the
      // boundary allows (IAM's service authorization reference lists
      // iam:PermissionsBoundary for exactly these role-writing actions)
      Sid: "BoundedRoles",
      Effect: "Allow",
      Action: BOUNDED_ROLE_ACTIONS,
      Resource: [ownRoles],
      Condition: { StringEquals: { "iam:PermissionsBoundary": access.boundaryArn } },
    },
    {
      Sid: "PassRoles",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: [ownRoles],
      Condition: {
        StringEquals: {
          "iam:PassedToService": [
            "lambda.amazonaws.com",
            "codebuild.amazonaws.com",
            "codepipeline.amazonaws.com",
            "scheduler.amazonaws.com",
          ],
        },
      },
    },
    {
      Sid: "LogGroups",
      Effect: "Allow",
      Action: [
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:PutRetentionPolicy",
        "logs:DeleteRetentionPolicy",
        "logs:ListTagsForResource",
        "logs:TagResource",
        "logs:UntagResource",
      ],
      Resource: [named("logs", `log-group:${prefix}-*`)],
    },
    {
      // a list call: authorized on the account's log groups, it reads names only
      Sid: "FindLogGroups",
      Effect: "Allow",
      Action: ["logs:DescribeLogGroups"],
      Resource: [named("logs", "log-group:*")],
    },
    {
      Sid: "Alarms",
      Effect: "Allow",
      Action: [
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:ListTagsForResource",
        "cloudwatch:TagResource",
        "cloudwatch:UntagResource",
      ],
      Resource: [named("cloudwatch", `alarm:${prefix}-*`)],
    },
    {
      Sid: "Topics",
      Effect: "Allow",
      Action: [
        "sns:CreateTopic",
        "sns:DeleteTopic",
        "sns:GetTopicAttributes",
        "sns:SetTopicAttributes",
        "sns:Subscribe",
        "sns:Unsubscribe",
        "sns:GetSubscriptionAttributes",
        "sns:ListSubscriptionsByTopic",
        "sns:ListTagsForResource",
        "sns:TagResource",
        "sns:UntagResource",
      ],
      Resource: [named("sns", `${prefix}-*`)],
    },
    {
      Sid: "BuildProjects",
      Effect: "Allow",
      Action: [
        "codebuild:CreateProject",
        "codebuild:UpdateProject",
        "codebuild:DeleteProject",
        "codebuild:BatchGetProjects",
      ],
      Resource: [named("codebuild", `project/${prefix}-*`)],
    },
    {
      Sid: "Pipeline",
      Effect: "Allow",
      Action: [
        "codepipeline:CreatePipeline",
        "codepipeline:UpdatePipeline",
        "codepipeline:DeletePipeline",
        "codepipeline:GetPipeline",
        "codepipeline:ListTagsForResource",
        "codepipeline:TagResource",
        "codepipeline:UntagResource",
      ],
      Resource: [named("codepipeline", `${prefix}-*`)],
    },
    // the pipeline's source action refers to the connection
    { Sid: "PassConnection", ...connectionGrant(access.connectionArn, ["PassConnection"]) },
    {
      Sid: "Schedule",
      Effect: "Allow",
      Action: [
        "scheduler:CreateSchedule",
        "scheduler:GetSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:DeleteSchedule",
      ],
      Resource: [named("scheduler", `schedule/default/${prefix}-*`)],
    },
    {
      Sid: "RunNotifications",
      Effect: "Allow",
      Action: [
        "events:PutRule",
        "events:DeleteRule",
        "events:DescribeRule",
        "events:PutTargets",
        "events:RemoveTargets",
        "events:ListTargetsByRule",
        "events:ListTagsForResource",
        "events:TagResource",
        "events:UntagResource",
      ],
      Resource: [named("events", `rule/${prefix}-*`)],
    },
  ];
  statements.push({
    // The role may write the policies of the roles it deploys, but never its
    // own: a pipeline run cannot widen what the pipeline may do (docs/release-pipeline.md,
    // "The deploy role"). Changes to it take an admin's
    // `pulumi up`.
    Sid: "NotItself",
    Effect: "Deny",
    Action: [
      "iam:PutRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:AttachRolePolicy",
      "iam:DetachRolePolicy",
      "iam:UpdateAssumeRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:DeleteRolePermissionsBoundary",
      "iam:DeleteRole",
    ],
    Resource: [access.roleArn],
  });
  statements.push(
    {
      // the boundary is the admin's: a pipeline run cannot widen it
      Sid: "BoundaryUnchanged",
      Effect: "Deny",
      Action: BOUNDARY_POLICY_WRITES,
      Resource: [access.boundaryArn],
    },
    {
      // nor take it off a role it deploys
      Sid: "BoundaryStays",
      Effect: "Deny",
      Action: ["iam:DeleteRolePermissionsBoundary"],
      Resource: [ownRoles],
    },
  );
  statements.push({
    // the stack's dashboard is named exactly after the prefix (infra/dashboard.ts)
    Sid: "Dashboard",
    Effect: "Allow",
    Action: ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"],
    Resource: [`arn:${p}:cloudwatch::${a}:dashboard/${prefix}`],
  });
  if (access.existingUploadBucket) {
    statements.push({
      Sid: "OwnBuckets",
      Effect: "Allow",
      Action: ["s3:ListAllMyBuckets"],
      Resource: ["*"],
    });
  }
  if (access.eventBusArn !== undefined) {
    statements.push({
      Sid: "FindEventBus",
      Effect: "Allow",
      Action: ["events:DescribeEventBus"],
      Resource: [access.eventBusArn],
    });
  }
  if (access.stateBucket !== undefined) {
    const bucket = `arn:${p}:s3:::${access.stateBucket.bucket}`;
    statements.push(
      {
        Sid: "StateObjects",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: [`${bucket}/${access.stateBucket.path}*`],
      },
      {
        Sid: "StateBucket",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetBucketLocation"],
        Resource: [bucket],
      },
    );
  }
  return document(statements.filter((s) => (s.Resource as string[]).length > 0));
}

/** What the boundary may allow: the resources of the stacks whose roles carry it. */
export interface BoundaryAccess {
  partition: string;
  region: string;
  account: string;
  /** The stack's own prefix and, when the pipeline deploys another stack, that one's. */
  prefixes: string[];
  /** Buckets named in the stack config (used, not created). */
  configuredBuckets: string[];
  /** The event bus the function publishes to, when EventBridge is on. */
  eventBusArn?: string;
  /** The release pipeline's connection. */
  connectionArn: string;
}

/**
 * The permissions boundary of every role the stack creates but the deploy
 * role: the actions those roles' own policies use, on the resources the
 * deploy role may create (the stacks' prefixes, the configured buckets), and
 * no IAM action at all. A role the deploy role writes can so never do more
 * than this, whatever policy it is given.
 */
export function roleBoundaryPolicy(access: BoundaryAccess): Document {
  const { partition: p, region: r, account: a, prefixes } = access;
  const each = (arn: (prefix: string) => string): string[] => prefixes.map(arn);
  const buckets = [
    ...each((prefix) => `arn:${p}:s3:::${prefix}-*`),
    ...access.configuredBuckets.map((bucket) => `arn:${p}:s3:::${bucket}`),
  ];
  const named = (service: string, resource: (prefix: string) => string): string[] =>
    each((prefix) => `arn:${p}:${service}:${r}:${a}:${resource(prefix)}`);
  const statements: Statement[] = [
    {
      // the function's reads, results and annotations; Batch Operations'
      // manifests and reports; S3 Metadata's annotation reads; build artifacts
      Sid: "Objects",
      Effect: "Allow",
      Action: [
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:PutObjectAnnotation",
        "s3:PutObjectVersionAnnotation",
        "s3:GetObjectAnnotation",
        "s3:GetObjectVersionAnnotation",
        "s3:ListObjectAnnotations",
        "s3:ListObjectVersionAnnotations",
      ],
      Resource: buckets.map((bucket) => `${bucket}/*`),
    },
    {
      Sid: "Buckets",
      Effect: "Allow",
      Action: [
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:GetBucketLocation",
        "s3:GetBucketAcl",
        "s3:GetBucketVersioning",
      ],
      Resource: buckets,
    },
    {
      Sid: "ConsumeQueue",
      Effect: "Allow",
      Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
      Resource: named("sqs", (prefix) => `${prefix}-*`),
    },
    {
      Sid: "WriteLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: named("logs", (prefix) => `log-group:${prefix}-*`),
    },
    {
      Sid: "InvokeFunction",
      Effect: "Allow",
      Action: ["lambda:InvokeFunction"],
      Resource: named("lambda", (prefix) => `function:${prefix}-*`),
    },
    ecrLogin,
    {
      Sid: "PushImage",
      Effect: "Allow",
      Action: ECR_PUSH,
      Resource: named("ecr", (prefix) => `repository/${prefix}-*`),
    },
    {
      Sid: "Notify",
      Effect: "Allow",
      Action: ["sns:Publish"],
      Resource: named("sns", (prefix) => `${prefix}-*`),
    },
    {
      Sid: "RunProjects",
      Effect: "Allow",
      Action: ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"],
      Resource: named("codebuild", (prefix) => `project/${prefix}-*`),
    },
    {
      Sid: "StartPipeline",
      Effect: "Allow",
      Action: ["codepipeline:StartPipelineExecution"],
      Resource: named("codepipeline", (prefix) => `${prefix}-*`),
    },
    {
      Sid: "UseConnection",
      ...connectionGrant(access.connectionArn, [
        "GetConnection",
        "GetConnectionToken",
        "UseConnection",
      ]),
    },
  ];
  if (access.eventBusArn !== undefined) statements.push(publishResults(access.eventBusArn));
  return document(statements);
}
