// Pulumi mocks for the infra tests: every resource the program creates is
// recorded with its inputs, and gets plausible ids, ARNs and URLs back.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";

export const ACCOUNT = "111122223333";
export const REGION = "eu-west-1";
export const MOCK_STACK = "unit";
export const MOCK_ORGANIZATION = "acme";

export interface Recorded {
  type: string;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inputs: Record<string, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  state: Record<string, any>;
}

export const recorded: Recorded[] = [];

/**
 * Existing buckets the provider calls describe, as tests set them up: a
 * bucket is in REGION, owned by ACCOUNT and without EventBridge unless listed.
 */
export const existingBuckets = {
  regions: new Map<string, string>(),
  foreign: new Set<string>(),
  eventBridge: new Set<string>(),
};

const physical = (name: string): string => `${name}-a1b2c3d`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function outputsFor(type: string, name: string, inputs: Record<string, any>) {
  const id = physical(name);
  switch (type) {
    case "aws:s3/bucket:Bucket":
      return { id, state: { bucket: id, arn: `arn:aws:s3:::${id}` } };
    case "aws:sqs/queue:Queue":
      return {
        id: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`,
        state: {
          name: id,
          arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`,
          url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`,
        },
      };
    case "aws:ecr/repository:Repository":
      return {
        id,
        state: {
          name: id,
          arn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${id}`,
          repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${id}`,
        },
      };
    case "awsx:ecr:Image": {
      // A digest that depends on every build input, as a real build's does.
      const digest = createHash("sha256")
        .update(JSON.stringify([inputs.args, inputs.context, inputs.dockerfile, inputs.platform]))
        .digest("hex");
      return { id, state: { imageUri: `${inputs.repositoryUrl}@sha256:${digest}` } };
    }
    case "aws:lambda/function:Function":
      return {
        id,
        state: { name: id, arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}` },
      };
    case "aws:cloudwatch/logGroup:LogGroup":
      return {
        id,
        state: { name: id, arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}` },
      };
    case "aws:iam/role:Role":
      return { id, state: { name: id, arn: `arn:aws:iam::${ACCOUNT}:role/${id}` } };
    case "aws:iam/policy:Policy":
      return { id, state: { name: id, arn: `arn:aws:iam::${ACCOUNT}:policy/${id}` } };
    case "aws:sns/topic:Topic":
      return { id, state: { name: id, arn: `arn:aws:sns:${REGION}:${ACCOUNT}:${id}` } };
    case "aws:codebuild/project:Project":
      return {
        id,
        state: { name: id, arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${id}` },
      };
    case "aws:codepipeline/pipeline:Pipeline":
      return { id, state: { name: id, arn: `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${id}` } };
    case "aws:cloudwatch/eventRule:EventRule":
      return { id, state: { name: id, arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${id}` } };
    case "aws:scheduler/schedule:Schedule":
      return {
        id,
        state: { name: id, arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/${id}` },
      };
    case "aws:s3/bucketMetadataConfiguration:BucketMetadataConfiguration":
      // S3 reports where it keeps the bucket's tables: the AWS managed table
      // bucket aws-s3, a namespace of the bucket's own
      return {
        id: inputs.bucket,
        state: {
          metadataConfiguration: {
            ...inputs.metadataConfiguration,
            destinations: [
              {
                tableBucketArn: `arn:aws:s3tables:${REGION}:${ACCOUNT}:bucket/aws-s3`,
                tableBucketType: "aws",
                tableNamespace: `b_${inputs.bucket}`,
              },
            ],
          },
        },
      };
    case "aws:athena/workgroup:Workgroup":
      return {
        id,
        state: { name: id, arn: `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/${id}` },
      };
    default:
      return { id, state: {} };
  }
}

void pulumi.runtime.setMocks(
  {
    newResource(args) {
      const { id, state } = outputsFor(args.type, args.name, args.inputs);
      const merged = { ...args.inputs, ...state };
      recorded.push({ type: args.type, name: args.name, inputs: args.inputs, state: merged });
      return { id, state: merged };
    },
    call(args) {
      switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return {
            accountId: ACCOUNT,
            arn: `arn:aws:iam::${ACCOUNT}:user/test`,
            userId: "AIDATEST",
            id: ACCOUNT,
          };
        case "aws:index/getRegion:getRegion":
          return { id: REGION, name: REGION, region: REGION };
        case "aws:index/getPartition:getPartition":
          return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com" };
        case "aws:s3/getBucket:getBucket":
          return {
            id: args.inputs.bucket,
            bucket: args.inputs.bucket,
            arn: `arn:aws:s3:::${args.inputs.bucket}`,
            bucketRegion: existingBuckets.regions.get(args.inputs.bucket) ?? REGION,
            region: REGION,
          };
        case "aws:s3/getBuckets:getBuckets": {
          // ListBuckets: the caller's own buckets only
          const prefix: string = args.inputs.prefix ?? "";
          const owned = [...existingBuckets.regions.keys(), args.inputs.prefix]
            .filter((name) => name.startsWith(prefix) && !existingBuckets.foreign.has(name))
            .map((name) => ({ name, bucketRegion: existingBuckets.regions.get(name) ?? REGION }));
          return { id: REGION, region: REGION, buckets: owned };
        }
        case "aws:s3/getBucketNotification:getBucketNotification":
          return {
            id: args.inputs.bucket,
            bucket: args.inputs.bucket,
            eventbridge: existingBuckets.eventBridge.has(args.inputs.bucket),
            queues: [],
            topics: [],
            lambdaFunctions: [],
            region: REGION,
          };
        case "aws:cloudwatch/getEventBus:getEventBus":
          return {
            id: args.inputs.name,
            name: args.inputs.name,
            arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${args.inputs.name}`,
          };
        default:
          throw new Error(`unexpected provider call ${args.token}`);
      }
    },
  },
  "s3-exiftool",
  MOCK_STACK,
  false,
  MOCK_ORGANIZATION,
);

/** Resolves an Output's value (mocks resolve every value, known or not). */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((value) => resolve(value as T)));
}

/**
 * The error an Output fails with. `apply` never runs on a failed Output, so
 * this reads the promise the SDK keeps inside it.
 */
export async function failureOf(output: pulumi.Output<unknown>): Promise<Error> {
  try {
    await (output as unknown as { promise(): Promise<unknown> }).promise();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the output to fail");
}

/** Waits until no new resource has been registered for a few ticks. */
export async function settled(): Promise<void> {
  let stableTicks = 0;
  let seen = -1;
  while (stableTicks < 3) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (recorded.length === seen) stableTicks += 1;
    else {
      stableTicks = 0;
      seen = recorded.length;
    }
  }
}
