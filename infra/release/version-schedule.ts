// EventBridge Scheduler starts the version check project on a schedule; its
// role may start that one project and nothing else.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BoundedRoleArgs } from "../bounded-role";
import { schedulerPolicy } from "./policies";

/** Scheduler's universal target for CodeBuild StartBuild. */
export const START_BUILD_TARGET = "arn:aws:scheduler:::aws-sdk:codebuild:startBuild";

export interface VersionScheduleArgs extends BoundedRoleArgs {
  expression: string;
  projectName: pulumi.Input<string>;
  projectArn: pulumi.Input<string>;
  /** The role's trust policy: Scheduler, for this stack's schedules (serviceTrust). */
  trust: pulumi.Input<string>;
}

export class VersionSchedule extends pulumi.ComponentResource {
  readonly schedule: aws.scheduler.Schedule;
  readonly role: aws.iam.Role;

  constructor(name: string, args: VersionScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:release:VersionSchedule", name, {}, opts);
    const child = { parent: this };

    this.role = new aws.iam.Role(
      name,
      { assumeRolePolicy: args.trust, permissionsBoundary: args.permissionsBoundary },
      child,
    );
    const policy = new aws.iam.RolePolicy(
      name,
      {
        role: this.role.id,
        policy: pulumi.output(args.projectArn).apply((arn) => JSON.stringify(schedulerPolicy(arn))),
      },
      child,
    );
    this.schedule = new aws.scheduler.Schedule(
      name,
      {
        description: "s3-exiftool: look for new ExifTool, Perl and Lambda base image versions",
        scheduleExpression: args.expression,
        flexibleTimeWindow: { mode: "FLEXIBLE", maximumWindowInMinutes: 60 },
        target: {
          arn: START_BUILD_TARGET,
          roleArn: this.role.arn,
          input: pulumi
            .output(args.projectName)
            .apply((project) => JSON.stringify({ ProjectName: project })),
          retryPolicy: { maximumRetryAttempts: 2 },
        },
      },
      { parent: this, dependsOn: [policy] },
    );
    this.registerOutputs({ schedule: this.schedule.name });
  }
}
