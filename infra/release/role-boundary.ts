// The permissions boundary of the roles the release pipeline's deploy role
// may write (docs/release-pipeline.md, "The deploy role"): a managed policy
// that an admin's `pulumi up` creates and only an admin's changes, since the
// deploy role is denied every write to it.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, resourcePrefix, type ReleasePipelineSettings, type Settings } from "../config";
import { eventBusArn, roleBoundaryPolicy } from "./policies";
import { deployedStack } from "./release-pipeline";

export interface RoleBoundaryArgs {
  settings: Settings;
  release: ReleasePipelineSettings;
  /** The stack that owns the pipeline. */
  stack: string;
}

export class RoleBoundary extends pulumi.ComponentResource {
  readonly policy: aws.iam.Policy;

  constructor(name: string, args: RoleBoundaryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:release:RoleBoundary", name, {}, opts);
    const child = { parent: this };
    const { settings, release } = args;
    const own = resourcePrefix(args.stack.split("/").at(-1)!);
    const target = resourcePrefix(deployedStack(release, args.stack).split("/").at(-1)!);
    const document = pulumi
      .all([
        aws.getPartitionOutput({}, child).partition,
        aws.getRegionOutput({}, child).region,
        aws.getCallerIdentityOutput({}, child).accountId,
      ])
      .apply(([partition, region, account]) => {
        const scope = { partition, region, account };
        return JSON.stringify(
          roleBoundaryPolicy({
            ...scope,
            prefixes: [...new Set([own, target])],
            configuredBuckets: [settings.uploadBucketName, settings.resultsBucketName].filter(
              (bucket) => bucket !== "",
            ),
            eventBusArn: settings.enableEventBridge
              ? eventBusArn(scope, settings.eventBusName)
              : undefined,
            connectionArn: release.connectionArn,
          }),
        );
      });
    this.policy = new aws.iam.Policy(
      name,
      {
        description: `${PROJECT}: the most any role of the stack but the deploy role may do`,
        policy: document,
      },
      child,
    );
    this.registerOutputs({ arn: this.policy.arn });
  }
}

/**
 * The boundary the stack's roles carry: `roleBoundaryArn` when set (a
 * pipeline deploy sets it), else the stack's own when it has one. A stack
 * with its own boundary takes no other: the deploy role may write only roles
 * that carry its boundary.
 */
export function stackBoundary(
  configured: string,
  own: RoleBoundary | undefined,
): pulumi.Input<string> | undefined {
  if (own === undefined) return configured === "" ? undefined : configured;
  if (configured === "") return own.policy.arn;
  return own.policy.arn.apply((arn) => {
    if (arn !== configured) {
      throw new Error(
        `${PROJECT}:roleBoundaryArn is ${configured}, but this stack's release pipeline bounds its roles with ${arn}: remove the key`,
      );
    }
    return arn;
  });
}
