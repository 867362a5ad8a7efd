// The resource graph under Pulumi's mocks: what `pulumi preview` would plan.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  ACCOUNT,
  existingBuckets,
  failureOf,
  MOCK_STACK,
  recorded,
  REGION,
  settled,
  valueOf,
  type Recorded,
} from "./mocks";
import { devStackConfig, releaseConfig, RELEASE_CONNECTION, ROOT } from "./stack-config";
import { ConfigError, parseSettings, PROJECT, type Settings } from "../../infra/config";
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from "../../function/results/event-names";
import { exiftoolRelease } from "../../infra/backfill-contract";
import { buildContext, FunctionImage, IMAGE_TAG, imageBuildArgs } from "../../infra/image";
import { packageExiftoolVersion } from "../../infra/package-pins";
import { deployStack, loadSettings, type StackOutputs } from "../../infra/stack";
import { existingUploadBucket } from "../../infra/upload-bucket";
import { loadLocalSettings } from "../../local/config";
import { BUILDSPECS, TRIGGER_PATHS } from "../../infra/release/release-pipeline";
import { START_BUILD_TARGET } from "../../infra/release/version-schedule";
import { NAMED_QUERIES } from "../../infra/athena-queries";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = { Statement: Record<string, any>[] };

const devConfig = devStackConfig();

function devSettings(overrides: Record<string, string> = {}): Settings {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(devConfig)) {
    if (key.startsWith(`${PROJECT}:`)) values[key.slice(PROJECT.length + 1)] = value;
  }
  Object.assign(values, overrides);
  return parseSettings((key) => values[key], {
    exiftoolPackageVersion: overrides.exiftoolVersion ?? packageExiftoolVersion(ROOT),
  });
}

interface Deployed {
  outputs: StackOutputs;
  resources: Recorded[];
  /** Every resource registered while this stack deployed, whatever its name. */
  registered: Recorded[];
  /** PROJECT-STACK, which every resource name starts with. */
  prefix: string;
  of(type: string): Recorded[];
  /** The one resource of this type (whose name ends so, when given). */
  one(type: string, nameEnd?: string): Recorded;
}

let stackCount = 0;

/** Runs the program for one stack with its own names, and collects its resources. */
async function deploy(settings: Settings): Promise<Deployed> {
  stackCount += 1;
  const stack = `t${stackCount}`;
  const start = recorded.length;
  const outputs = deployStack(settings, stack);
  await valueOf(pulumi.all([outputs.functionArn, outputs.imageUri, outputs.resultsLocation]));
  await settled();
  const prefix = `${PROJECT}-${stack}`;
  const resources = recorded.filter((r) => r.name === prefix || r.name.startsWith(`${prefix}-`));
  const of = (type: string) => resources.filter((r) => r.type === type);
  const one = (type: string, nameEnd?: string) => {
    const found = of(type).filter((r) => nameEnd === undefined || r.name.endsWith(nameEnd));
    expect(found, type).to.have.length(1);
    return found[0];
  };
  return { outputs, resources, registered: recorded.slice(start), prefix, of, one };
}

const T = {
  bucket: "aws:s3/bucket:Bucket",
  publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  encryption:
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  notification: "aws:s3/bucketNotification:BucketNotification",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  fn: "aws:lambda/function:Function",
  esm: "aws:lambda/eventSourceMapping:EventSourceMapping",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  repository: "aws:ecr/repository:Repository",
  lifecycle: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
  image: "awsx:ecr:Image",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  pipeline: "aws:codepipeline/pipeline:Pipeline",
  project: "aws:codebuild/project:Project",
  schedule: "aws:scheduler/schedule:Schedule",
  eventRule: "aws:cloudwatch/eventRule:EventRule",
  eventTarget: "aws:cloudwatch/eventTarget:EventTarget",
  metadataConfiguration: "aws:s3/bucketMetadataConfiguration:BucketMetadataConfiguration",
  annotationTable: "pulumi-nodejs:dynamic/s3-exiftool:AnnotationTable",
  workgroup: "aws:athena/workgroup:Workgroup",
  namedQuery: "aws:athena/namedQuery:NamedQuery",
};

/**
 * Actions that AWS's Service Authorization Reference lists with no resource
 * type (so "Resource": "*" is the only form), kept here rather than taken
 * from the code under test. Any other action on "*" fails.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html
 */
const AWS_STAR_ONLY: Record<string, { condition?: string }> = {
  "ecr:GetAuthorizationToken": {},
  "s3:ListAllMyBuckets": {},
  // scoped by its condition key instead of a resource
  "lambda:CreateEventSourceMapping": { condition: "lambda:FunctionArn" },
  "lambda:ListEventSourceMappings": {},
  "sts:GetCallerIdentity": {},
};

const doc = (json: string): Doc => JSON.parse(json) as Doc;
const asList = <V>(value: V | V[]): V[] => (Array.isArray(value) ? value : [value]);

function queues(d: Deployed): { queue: Recorded; dlq: Recorded } {
  const all = d.of(T.queue);
  expect(all).to.have.length(2);
  const dlq = all.find((q) => q.name.endsWith("-dlq"))!;
  const queue = all.find((q) => q !== dlq)!;
  return { queue, dlq };
}

function bucketNamed(d: Deployed, suffix: string): Recorded {
  return d.of(T.bucket).find((b) => b.name.endsWith(`-${suffix}`))!;
}

describe("infra stack (Pulumi mocks)", () => {
  let base: Deployed;
  before(async () => {
    base = await deploy(devSettings());
  });

  describe("index.ts", () => {
    it("reads the stack config and exports every output", async () => {
      pulumi.runtime.setAllConfig(devConfig);
      const program = (await import("../../index")) as unknown as Record<string, unknown>;
      await valueOf(program.functionArn as pulumi.Output<string>);
      for (const name of [
        "uploadBucketName",
        "resultsBucketName",
        "resultsLocation",
        "queueUrl",
        "queueArn",
        "deadLetterQueueUrl",
        "deadLetterQueueArn",
        "functionName",
        "functionArn",
        "imageUri",
      ]) {
        expect(pulumi.Output.isInstance(program[name]), name).to.equal(true);
      }
      expect(await valueOf(program.imageUri as pulumi.Output<string>)).to.match(
        /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/s3-exiftool-unit-image-[a-z0-9]+@sha256:[0-9a-f]{64}$/,
      );
      expect(await valueOf(program.queueUrl as pulumi.Output<string>)).to.match(
        /^https:\/\/sqs\.[a-z0-9-]+\.amazonaws\.com\/\d{12}\/s3-exiftool-unit-queue-/,
      );
      expect(await valueOf(program.deadLetterQueueArn as pulumi.Output<string>)).to.match(
        /^arn:aws:sqs:[a-z0-9-]+:\d{12}:s3-exiftool-unit-queue-dlq-/,
      );
      // EventBridge is off in the dev stack: no event outputs.
      expect(program.eventSource).to.equal(undefined);
      expect(program.eventDetailType).to.equal(undefined);
      expect(recorded.some((r) => r.name === `${PROJECT}-${MOCK_STACK}`)).to.equal(true);
    });

    it("fails before planning any resource when config is invalid, naming the key", () => {
      pulumi.runtime.setAllConfig({ ...devConfig, [`${PROJECT}:timeout`]: "901" });
      expect(() => loadSettings()).to.throw(ConfigError, `${PROJECT}:timeout:`);
      pulumi.runtime.setAllConfig({ ...devConfig, [`${PROJECT}:filterSuffix`]: "*.jpg" });
      expect(() => loadSettings()).to.throw(ConfigError, `${PROJECT}:filterSuffix:`);
      pulumi.runtime.setAllConfig(devConfig);
    });
    it("refuses a misspelled key in the stack config, naming it, its closest key and the file", () => {
      pulumi.runtime.setAllConfig({ ...devConfig, [`${PROJECT}:batchsize`]: "5" });
      try {
        expect(() => loadSettings()).to.throw(
          ConfigError,
          `${PROJECT}:batchsize: unknown key in Pulumi.${MOCK_STACK}.yaml; ` +
            `did you mean ${PROJECT}:batchSize?`,
        );
      } finally {
        pulumi.runtime.setAllConfig(devConfig);
      }
      expect(() => loadSettings()).not.to.throw();
    });
  });

  describe("image", () => {
    it("creates a scanned, encrypted ECR repository that keeps the last N images of each kind", () => {
      const repository = base.one(T.repository);
      expect(repository.inputs.imageScanningConfiguration).to.deep.equal({ scanOnPush: true });
      expect(repository.inputs.encryptionConfigurations).to.deep.equal([{ encryptionType: "KMS" }]);
      const rules = JSON.parse(base.one(T.lifecycle).inputs.policy).rules;
      expect(rules).to.have.length(2);
      for (const rule of rules) {
        expect(rule.selection).to.include({ countType: "imageCountMoreThan", countNumber: 10 });
        expect(rule.action).to.deep.equal({ type: "expire" });
      }
    });

    it("builds the top-level Dockerfile for linux/arm64 with the pins as build args", () => {
      const image = base.one(T.image);
      expect(image.inputs.platform).to.equal("linux/arm64");
      // awsx builds the context's own Dockerfile; the context is relative to
      // the working directory, which is the project root for Pulumi and mocha
      expect(image.inputs).not.to.have.property("dockerfile");
      expect(path.resolve(image.inputs.context)).to.equal(ROOT);
      expect(existsSync(path.join(image.inputs.context, "Dockerfile"))).to.equal(true);
      const settings = devSettings();
      expect(image.inputs.args).to.deep.equal(imageBuildArgs(settings));
      expect(image.inputs.args).to.include({
        EXIFTOOL_VERSION: settings.exiftoolVersion,
        NODE_MAJOR: "24",
        BASE_IMAGE_DIGEST: settings.baseImageDigest,
        PERL_SOURCE: "system",
      });
    });

    it("plans the same image resources from two checkouts at different paths", async () => {
      const planFrom = async (checkout: string): Promise<Recorded[]> => {
        const first = recorded.length;
        const cwd = process.cwd();
        process.chdir(checkout); // as Pulumi does: the program runs in the project folder
        try {
          const image = new FunctionImage(`${PROJECT}-checkout-image`, {
            pins: devSettings(),
            keepImages: 10,
            root: checkout,
          });
          await valueOf(image.imageUri);
        } finally {
          process.chdir(cwd);
        }
        await settled();
        return recorded.slice(first);
      };
      const parent = mkdtempSync(path.join(tmpdir(), "s3-exiftool-checkouts-"));
      try {
        const [here, there] = ["here", "ci/build/there"].map((folder) => {
          mkdirSync(path.join(parent, folder), { recursive: true });
          return path.join(parent, folder);
        });
        const a = await planFrom(here);
        const b = await planFrom(there);
        expect(a.map((r) => r.type)).to.include.members([T.repository, T.lifecycle, T.image]);
        // same types, names (hence URNs) and inputs, and no trace of either path
        expect(b.map(({ type, name, inputs }) => ({ type, name, inputs }))).to.deep.equal(
          a.map(({ type, name, inputs }) => ({ type, name, inputs })),
        );
        expect(JSON.stringify(a)).not.to.include(parent);
        // awsx names its build resource after imageName (else after a hash of the context)
        const image = a.find((r) => r.type === T.image)!;
        expect(image.inputs).to.include({ imageName: IMAGE_TAG, context: "." });
      } finally {
        rmSync(parent, { recursive: true, force: true });
      }
    });

    it("gives awsx the build context relative to the project folder", () => {
      expect(buildContext("/srv/checkout", "/srv/checkout")).to.equal(".");
      expect(buildContext("/srv/checkout", "/srv")).to.equal("checkout");
    });

    it("a new ExifTool version changes the build args, the digest and the function", async () => {
      const bumped = await deploy(devSettings({ exiftoolVersion: "13.60.0" }));
      expect(bumped.one(T.image).inputs.args.EXIFTOOL_VERSION).to.equal("13.60.0");
      expect(bumped.one(T.image).inputs.args).not.to.deep.equal(base.one(T.image).inputs.args);
      const digest = (uri: string) => uri.split("@")[1];
      expect(digest(bumped.one(T.fn).inputs.imageUri)).not.to.equal(
        digest(base.one(T.fn).inputs.imageUri),
      );
    });

    it("unchanged pins give the same build inputs and the same image for the function", async () => {
      const again = await deploy(devSettings());
      expect(again.one(T.image).inputs.args).to.deep.equal(base.one(T.image).inputs.args);
      const digest = (uri: string) => uri.split("@")[1];
      expect(digest(again.one(T.fn).inputs.imageUri)).to.equal(
        digest(base.one(T.fn).inputs.imageUri),
      );
    });

    it("a Perl pin bump does not rebuild an image that uses the system Perl", async () => {
      const bumped = await deploy(
        devSettings({ perlVersion: "5.42.2", perlSha256: "9".repeat(64) }),
      );
      expect(bumped.one(T.image).inputs.args).to.deep.equal(base.one(T.image).inputs.args);
      expect(base.one(T.image).inputs.args).not.to.have.property("PERL_VERSION");
    });

    it("a Perl-from-source config passes its version and checksum to the build", async () => {
      const source = await deploy(devSettings({ perlSource: "source" }));
      expect(source.one(T.image).inputs.args).to.include({
        PERL_SOURCE: "source",
        PERL_VERSION: devSettings().perlVersion,
        PERL_SHA256: devSettings().perlSha256,
      });
    });
  });

  describe("function", () => {
    it("is an arm64 container image function pinned by digest, sized from config", async () => {
      const fn = base.one(T.fn);
      expect(fn.inputs.packageType).to.equal("Image");
      expect(fn.inputs.architectures).to.deep.equal(["arm64"]);
      expect(fn.inputs.imageUri).to.equal(await valueOf(base.outputs.imageUri));
      expect(fn.inputs.imageUri).to.match(/@sha256:[0-9a-f]{64}$/);
      expect(fn.inputs).to.include({
        memorySize: 1024,
        timeout: 120,
        reservedConcurrentExecutions: -1,
      });
      expect(fn.inputs.ephemeralStorage).to.deep.equal({ size: 512 });
      expect(fn.inputs.role).to.equal(base.one(T.role, "-function").state.arn);
      expect(fn.inputs.loggingConfig.logGroup).to.equal(base.one(T.logGroup).state.name);
    });

    it("takes memory, timeout, concurrency and storage from config", async () => {
      const sized = await deploy(
        devSettings({
          memorySize: "3008",
          timeout: "900",
          reservedConcurrency: "50",
          ephemeralStorageSize: "4096",
          maximumConcurrency: "40",
        }),
      );
      const fn = sized.one(T.fn);
      expect(fn.inputs).to.include({
        memorySize: 3008,
        timeout: 900,
        reservedConcurrentExecutions: 50,
      });
      expect(fn.inputs.ephemeralStorage).to.deep.equal({ size: 4096 });
      expect(queues(sized).queue.inputs.visibilityTimeoutSeconds).to.be.at.least(6 * 900);
      expect(sized.one(T.esm).inputs.scalingConfig).to.deep.equal({ maximumConcurrency: 40 });
    });

    it("gets the sink and tuning environment variables", () => {
      const variables = base.one(T.fn).inputs.environment.variables;
      expect(variables).to.deep.equal({
        UPLOAD_BUCKETS: bucketNamed(base, "uploads").state.bucket,
        RESULTS_BUCKET: bucketNamed(base, "results").state.bucket,
        RESULTS_PREFIX: "",
        EXIFTOOL_OPTIONS: "[]",
        EXIFTOOL_WORKERS: "2",
        MAX_WORKER_RSS_MB: "384",
        // (120 s less the 5 s reserve) over ceil(10 / 2) rounds of a full batch
        OBJECT_TIMEOUT_MS: "23000",
        POWERTOOLS_SERVICE_NAME: "s3-exiftool",
        POWERTOOLS_METRICS_NAMESPACE: "S3ExifTool",
        LOG_LEVEL: "INFO",
        RESULT_DESTINATION: "bucket",
        ANNOTATION_NAME: "exiftool",
      });
    });

    it("exports the limits a failed result records, as the function reads them", () => {
      expect(base.outputs.extractionLimits).to.deep.equal({
        objectTimeoutMs: 23000,
        maxWorkerRssMb: 384,
        exiftoolWorkers: 2,
      });
    });

    it("sets Lambda's log level filter from logLevel, which Powertools obeys over LOG_LEVEL", async () => {
      expect(base.one(T.fn).inputs.loggingConfig).to.deep.include({
        logFormat: "JSON",
        applicationLogLevel: "INFO",
        systemLogLevel: "INFO",
      });
      const debug = await deploy(devSettings({ logLevel: "DEBUG" }));
      expect(debug.one(T.fn).inputs.loggingConfig).to.deep.include({
        logFormat: "JSON",
        applicationLogLevel: "DEBUG",
        systemLogLevel: "DEBUG",
      });
      expect(debug.one(T.fn).inputs.environment.variables.LOG_LEVEL).to.equal("DEBUG");
      // above INFO, Lambda's filter would drop the metrics (lines without a
      // level): text logs, unfiltered, and Powertools obeys LOG_LEVEL
      const error = await deploy(devSettings({ logLevel: "ERROR" }));
      expect(error.one(T.fn).inputs.loggingConfig.logFormat).to.equal("Text");
      expect(error.one(T.fn).inputs.loggingConfig).not.to.have.property("applicationLogLevel");
      expect(error.one(T.fn).inputs.environment.variables.LOG_LEVEL).to.equal("ERROR");
    });

    it("runs with the same environment as `npm start` for the dev stack file, caps included", () => {
      const stack = { ...base.one(T.fn).inputs.environment.variables };
      const local = { ...loadLocalSettings("dev", {}, ROOT).functionEnvironment };
      // only the bucket names differ: the stack's are generated, local's fixed
      expect(local).to.include({ UPLOAD_BUCKETS: "uploads", RESULTS_BUCKET: "results" });
      for (const names of [stack, local]) {
        delete names.UPLOAD_BUCKETS;
        delete names.RESULTS_BUCKET;
      }
      expect(local).to.deep.equal(stack);
      expect(local.MAX_WORKER_RSS_MB).to.equal("384");
    });

    it("is fed by an event source mapping that reports batch item failures", () => {
      const esm = base.one(T.esm);
      expect(esm.inputs.eventSourceArn).to.equal(queues(base).queue.state.arn);
      expect(esm.inputs.functionName).to.equal(base.one(T.fn).state.arn);
      expect(esm.inputs.functionResponseTypes).to.deep.equal(["ReportBatchItemFailures"]);
      expect(esm.inputs).to.include({ batchSize: 10, maximumBatchingWindowInSeconds: 0 });
      expect(esm.inputs.scalingConfig).to.deep.equal({ maximumConcurrency: 10 });
    });
  });

  describe("queues", () => {
    it("encrypts both queues and redrives to the DLQ after maxReceiveCount", async () => {
      const { queue, dlq } = queues(base);
      expect(queue.inputs.sqsManagedSseEnabled).to.equal(true);
      expect(dlq.inputs.sqsManagedSseEnabled).to.equal(true);
      expect(dlq.inputs.messageRetentionSeconds).to.equal(14 * 24 * 3600);
      expect(JSON.parse(queue.inputs.redrivePolicy)).to.deep.equal({
        deadLetterTargetArn: dlq.state.arn,
        maxReceiveCount: 5,
      });
      const custom = await deploy(devSettings({ maxReceiveCount: "3" }));
      expect(JSON.parse(queues(custom).queue.inputs.redrivePolicy).maxReceiveCount).to.equal(3);
    });

    it("derives the visibility timeout from the function timeout (>= 6x)", async () => {
      const { queue } = queues(base);
      expect(queue.inputs.visibilityTimeoutSeconds).to.be.at.least(6 * 120);
      const windowed = await deploy(
        devSettings({ timeout: "30", maximumBatchingWindow: "20", batchSize: "100" }),
      );
      expect(queues(windowed).queue.inputs.visibilityTimeoutSeconds).to.be.at.least(6 * 30 + 20);
      // Only the main queue: a DLQ's visibility timeout plays no part.
      expect(queues(windowed).dlq.inputs.visibilityTimeoutSeconds).to.equal(undefined);
    });

    it("lets only the upload bucket of this account send", () => {
      const policy = doc(base.one(T.queuePolicy).inputs.policy);
      expect(base.one(T.queuePolicy).inputs.queueUrl).to.equal(queues(base).queue.state.url);
      expect(policy.Statement).to.have.length(1);
      const [statement] = policy.Statement;
      expect(statement.Effect).to.equal("Allow");
      expect(statement.Principal).to.deep.equal({ Service: "s3.amazonaws.com" });
      expect(statement.Action).to.equal("sqs:SendMessage");
      expect(statement.Resource).to.equal(queues(base).queue.state.arn);
      expect(statement.Condition).to.deep.equal({
        ArnEquals: { "aws:SourceArn": bucketNamed(base, "uploads").state.arn },
        StringEquals: { "aws:SourceAccount": ACCOUNT },
      });
    });
  });

  describe("buckets and notification", () => {
    it("creates private, encrypted, TLS-only upload and results buckets", () => {
      expect(base.of(T.bucket)).to.have.length(2);
      for (const suffix of ["uploads", "results"]) {
        const bucket = bucketNamed(base, suffix);
        const id = bucket.state.bucket;
        const block = base.of(T.publicAccessBlock).find((b) => b.inputs.bucket === id)!;
        expect(block.inputs).to.include({
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
        const sse = base.of(T.encryption).find((e) => e.inputs.bucket === id)!;
        expect(sse.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).to.equal(
          "AES256",
        );
        const policy = doc(
          base.of(T.bucketPolicy).find((p) => p.inputs.bucket === id)!.inputs.policy,
        );
        expect(policy.Statement).to.deep.include({
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucket.state.arn, `${bucket.state.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
      }
    });

    it("lets teardown delete results but never uploads that are still there", () => {
      expect(bucketNamed(base, "uploads").inputs.forceDestroy).to.equal(false);
      expect(bucketNamed(base, "results").inputs.forceDestroy).to.equal(true);
    });

    it("notifies the queue of every created and removed object, unfiltered by default", () => {
      const notification = base.one(T.notification);
      expect(notification.inputs.bucket).to.equal(bucketNamed(base, "uploads").state.bucket);
      expect(notification.inputs.queues).to.deep.equal([
        {
          queueArn: queues(base).queue.state.arn,
          events: [
            "s3:ObjectCreated:*",
            "s3:ObjectRemoved:Delete",
            "s3:ObjectRemoved:DeleteMarkerCreated",
          ],
        },
      ]);
    });

    it("applies prefix and suffix filters, and reads only under the prefix", async () => {
      const filtered = await deploy(devSettings({ filterPrefix: "photos/", filterSuffix: ".jpg" }));
      expect(filtered.one(T.notification).inputs.queues[0]).to.include({
        filterPrefix: "photos/",
        filterSuffix: ".jpg",
      });
      const read = doc(filtered.one(T.rolePolicy, "-function").inputs.policy).Statement.find(
        (s) => s.Sid === "ReadUploads",
      )!;
      expect(read.Resource).to.deep.equal([
        `${bucketNamed(filtered, "uploads").state.arn}/photos/*`,
      ]);
    });

    it("uses an existing upload bucket without creating one", async () => {
      const existing = await deploy(devSettings({ uploadBucketName: "team-photos" }));
      expect(existing.of(T.bucket).map((b) => b.name)).to.have.length(1);
      expect(bucketNamed(existing, "results")).not.to.equal(undefined);
      expect(bucketNamed(existing, "uploads")).to.equal(undefined);
      expect(existing.one(T.notification).inputs.bucket).to.equal("team-photos");
      const condition = doc(existing.one(T.queuePolicy).inputs.policy).Statement[0].Condition;
      expect(condition.ArnEquals["aws:SourceArn"]).to.equal("arn:aws:s3:::team-photos");
      expect(await valueOf(existing.outputs.uploadBucketName)).to.equal("team-photos");
    });

    it("leaves EventBridge delivery of a created bucket at the provider's default (off)", () => {
      expect(base.one(T.notification).inputs).not.to.have.property("eventbridge");
    });

    it("keeps an existing upload bucket's EventBridge delivery as it was", async () => {
      existingBuckets.eventBridge.add("team-events");
      const on = await deploy(devSettings({ uploadBucketName: "team-events" }));
      expect(on.one(T.notification).inputs.eventbridge).to.equal(true);
      const off = await deploy(devSettings({ uploadBucketName: "team-quiet" }));
      expect(off.one(T.notification).inputs.eventbridge).to.equal(false);
    });

    it("refuses an existing upload bucket in another region, naming the key", async () => {
      existingBuckets.regions.set("far-photos", "us-west-2");
      const error = await failureOf(existingUploadBucket("far-photos", {}).name);
      expect(error).to.be.instanceOf(ConfigError);
      expect(error.message).to.equal(
        `${PROJECT}:uploadBucketName: bucket "far-photos" is in us-west-2 but the stack deploys ` +
          `to ${REGION}: S3 notifies queues of its own region only; set aws:region to us-west-2`,
      );
      // nothing is asked of the bucket before the check passes
      expect(
        (await failureOf(existingUploadBucket("far-photos", {}).eventBridge)).message,
      ).to.equal(error.message);
    });

    it("refuses an existing upload bucket of another account, naming the key", async () => {
      existingBuckets.foreign.add("partner-photos");
      const error = await failureOf(existingUploadBucket("partner-photos", {}).arn);
      expect(error).to.be.instanceOf(ConfigError);
      expect(error.message).to.match(
        new RegExp(
          `^${PROJECT}:uploadBucketName: bucket "partner-photos" belongs to another AWS account`,
        ),
      );
    });

    it("writes results under a prefix of the upload bucket when so configured", async () => {
      const shared = await deploy(
        devSettings({
          resultsInUploadBucket: "true",
          resultsPrefix: "exiftool/",
          filterPrefix: "incoming/",
        }),
      );
      expect(shared.of(T.bucket).map((b) => b.name)).to.have.length(1);
      const uploads = bucketNamed(shared, "uploads");
      const write = doc(shared.one(T.rolePolicy, "-function").inputs.policy).Statement.find(
        (s) => s.Sid === "WriteResults",
      )!;
      expect(write.Resource).to.deep.equal([`${uploads.state.arn}/exiftool/*`]);
      expect(shared.one(T.fn).inputs.environment.variables).to.include({
        RESULTS_BUCKET: uploads.state.bucket,
        RESULTS_PREFIX: "exiftool/",
      });
      expect(await valueOf(shared.outputs.resultsLocation)).to.equal(
        `s3://${uploads.state.bucket}/exiftool/`,
      );
    });
  });

  describe("IAM", () => {
    it("gives the function one role, assumable by Lambda only", () => {
      const trust = doc(base.one(T.role, "-function").inputs.assumeRolePolicy);
      expect(trust.Statement).to.deep.equal([
        {
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ]);
      expect(base.one(T.rolePolicy, "-function").inputs.role).to.equal(
        base.one(T.role, "-function").state.name ?? base.one(T.role, "-function").name,
      );
    });

    it("grants exactly the needed actions, on this stack's resources only", () => {
      const policy = doc(base.one(T.rolePolicy, "-function").inputs.policy);
      const uploads = bucketNamed(base, "uploads").state.arn;
      const results = bucketNamed(base, "results").state.arn;
      const logGroup = base.one(T.logGroup).state.arn;
      expect(policy.Statement.map((s) => [s.Action, s.Resource])).to.deep.equal([
        [["s3:GetObject", "s3:GetObjectVersion"], [`${uploads}/*`]],
        [["s3:ListBucket"], [uploads]],
        [["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [`${results}/*`]],
        [
          ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
          [queues(base).queue.state.arn],
        ],
        [["logs:CreateLogStream", "logs:PutLogEvents"], [`${logGroup}:*`]],
      ]);
    });

    it("never uses a wildcard action or a '*' resource, in any configuration", async () => {
      const variants = [
        base,
        await deploy(devSettings({ enableEventBridge: "true", filterPrefix: "in/" })),
        await deploy(
          devSettings({
            uploadBucketName: "their-bucket",
            resultsBucketName: "their-results",
            resultsPrefix: "exiftool/",
          }),
        ),
      ];
      for (const variant of variants) {
        const own = variant.resources.flatMap((r) => [r.state.arn, r.state.name]).filter(Boolean);
        const named = ["their-bucket", "their-results", "event-bus/default"];
        for (const statement of doc(variant.one(T.rolePolicy, "-function").inputs.policy)
          .Statement) {
          expect(statement.Effect).to.equal("Allow");
          for (const action of asList<string>(statement.Action)) {
            expect(action).not.to.include("*");
            expect(action).to.match(/^[a-z0-9]+:[A-Za-z]+$/);
          }
          for (const resource of asList<string>(statement.Resource)) {
            expect(resource).not.to.equal("*");
            const ours = own.some(
              (id) => resource === id || resource.startsWith(`${id}/`) || resource === `${id}:*`,
            );
            const configured = named.some((n) => resource.includes(n));
            expect(ours || configured, resource).to.equal(true);
          }
        }
        const queuePolicy = doc(variant.one(T.queuePolicy).inputs.policy);
        for (const statement of queuePolicy.Statement) {
          for (const action of asList<string>(statement.Action)) expect(action).not.to.include("*");
        }
      }
    });
  });

  describe("EventBridge", () => {
    it("is off by default: no bus variable, no PutEvents", () => {
      expect(base.one(T.fn).inputs.environment.variables).not.to.have.property("EVENT_BUS_NAME");
      const actions = doc(base.one(T.rolePolicy, "-function").inputs.policy).Statement.flatMap(
        (s) => s.Action,
      );
      expect(actions).not.to.include("events:PutEvents");
      expect(base.outputs.eventSource).to.equal(undefined);
    });

    it("when enabled, may put events on the configured bus only and exports source and detail-type", async () => {
      const events = await deploy(
        devSettings({ enableEventBridge: "true", eventBusName: "metadata" }),
      );
      expect(events.one(T.fn).inputs.environment.variables.EVENT_BUS_NAME).to.equal("metadata");
      const put = doc(events.one(T.rolePolicy, "-function").inputs.policy).Statement.find(
        (s) => s.Sid === "PublishResults",
      )!;
      expect(put.Action).to.deep.equal(["events:PutEvents"]);
      expect(put.Resource).to.deep.equal([
        `arn:aws:events:eu-west-1:${ACCOUNT}:event-bus/metadata`,
      ]);
      expect(events.outputs.eventSource).to.equal(EVENT_SOURCE);
      expect(events.outputs.eventDetailType).to.equal(EVENT_DETAIL_TYPE);
      expect(EVENT_SOURCE).to.equal("s3-exiftool");
      expect(EVENT_DETAIL_TYPE).to.equal("ExifTool Metadata Extracted");
    });
  });

  describe("annotations, S3 Metadata and Athena", () => {
    const statements = (d: Deployed) =>
      doc(d.one(T.rolePolicy, "-function").inputs.policy).Statement;
    const sid = (d: Deployed, id: string) => statements(d).find((s) => s.Sid === id);

    it("with the annotation destination: annotates upload objects under the prefix, no removals", async () => {
      const annotated = await deploy(
        devSettings({ resultDestination: "annotation", filterPrefix: "in/" }),
      );
      const uploads = bucketNamed(annotated, "uploads").state.arn;
      expect(sid(annotated, "AnnotateUploads")).to.deep.equal({
        Sid: "AnnotateUploads",
        Effect: "Allow",
        Action: ["s3:PutObjectAnnotation", "s3:PutObjectVersionAnnotation"],
        Resource: [`${uploads}/in/*`],
      });
      // a record too large for an annotation still goes to the results bucket
      expect(sid(annotated, "WriteResults")!.Action).to.deep.equal([
        "s3:GetObject",
        "s3:PutObject",
      ]);
      expect(annotated.one(T.notification).inputs.queues[0].events).to.deep.equal([
        "s3:ObjectCreated:*",
      ]);
      expect(annotated.one(T.fn).inputs.environment.variables).to.include({
        RESULT_DESTINATION: "annotation",
        ANNOTATION_NAME: "exiftool",
      });
      expect(annotated.outputs).to.include({
        resultDestination: "annotation",
        annotationName: "exiftool",
      });
    });

    it("with both: annotations, plus removal events and the delete of results under the prefix", async () => {
      const both = await deploy(
        devSettings({ resultDestination: "both", annotationName: "exif.v13", filterPrefix: "in/" }),
      );
      const results = bucketNamed(both, "results").state.arn;
      expect(sid(both, "AnnotateUploads")).not.to.equal(undefined);
      expect(sid(both, "WriteResults")).to.deep.include({
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: [`${results}/*`],
      });
      // removals are filtered as creations are
      expect(both.one(T.notification).inputs.queues).to.deep.equal([
        {
          queueArn: queues(both).queue.state.arn,
          events: [
            "s3:ObjectCreated:*",
            "s3:ObjectRemoved:Delete",
            "s3:ObjectRemoved:DeleteMarkerCreated",
          ],
          filterPrefix: "in/",
        },
      ]);
      expect(both.one(T.fn).inputs.environment.variables.ANNOTATION_NAME).to.equal("exif.v13");
    });

    it("an existing bucket's notification announces removals too, its EventBridge flag kept", async () => {
      existingBuckets.eventBridge.add("team-removals");
      const existing = await deploy(devSettings({ uploadBucketName: "team-removals" }));
      expect(existing.one(T.notification).inputs).to.deep.include({
        bucket: "team-removals",
        eventbridge: true,
      });
      expect(existing.one(T.notification).inputs.queues[0].events).to.include(
        "s3:ObjectRemoved:DeleteMarkerCreated",
      );
    });

    it("the bucket destination leaves S3 Metadata and Athena out", () => {
      expect(base.of(T.metadataConfiguration)).to.be.empty;
      expect(base.of(T.annotationTable)).to.be.empty;
      expect(base.of(T.workgroup)).to.be.empty;
      expect(sid(base, "AnnotateUploads")).to.equal(undefined);
      expect(base.outputs.athenaWorkgroup).to.equal(undefined);
      expect(base.outputs.athenaNamedQueries).to.equal(undefined);
    });

    describe("on a created upload bucket with annotations", () => {
      let meta: Deployed;
      before(async () => {
        meta = await deploy(devSettings({ resultDestination: "annotation", resultsPrefix: "x/" }));
      });

      it("turns on the journal table (expiring) and the annotation table, live inventory off", () => {
        const configuration = meta.one(T.metadataConfiguration);
        expect(configuration.inputs.bucket).to.equal(bucketNamed(meta, "uploads").state.bucket);
        expect(configuration.inputs.metadataConfiguration).to.deep.equal({
          journalTableConfiguration: { recordExpiration: { expiration: "ENABLED", days: 30 } },
          inventoryTableConfiguration: { configurationState: "DISABLED" },
        });
        const table = meta.one(T.annotationTable);
        expect(table.inputs).to.include({
          bucket: bucketNamed(meta, "uploads").state.bucket,
          region: REGION,
          roleArn: meta.one(T.role, "-metadata-annotations").state.arn,
        });
        // the serialised provider is what the engine runs: the SDK's own command
        expect(table.inputs.__provider).to.include(
          "UpdateBucketMetadataAnnotationTableConfigurationCommand",
        );
      });

      it("lets S3 Metadata, for this account only, read the upload bucket's annotations and nothing else", () => {
        const uploads = bucketNamed(meta, "uploads").state.arn;
        expect(
          doc(meta.one(T.role, "-metadata-annotations").inputs.assumeRolePolicy).Statement,
        ).to.deep.equal([
          {
            Effect: "Allow",
            Principal: { Service: "metadata.s3.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
          },
        ]);
        const policy = doc(meta.one(T.rolePolicy, "-metadata-annotations").inputs.policy);
        expect(policy.Statement.map((s) => [s.Action, s.Resource])).to.deep.equal([
          [
            [
              "s3:GetObjectAnnotation",
              "s3:GetObjectVersionAnnotation",
              "s3:ListObjectAnnotations",
              "s3:ListObjectVersionAnnotations",
            ],
            [`${uploads}/*`],
          ],
          [["s3:ListBucket", "s3:ListBucketVersions"], [uploads]],
        ]);
      });

      it("turns on live inventory only when asked", async () => {
        const inventory = await deploy(
          devSettings({
            resultDestination: "both",
            s3MetadataInventory: "true",
            s3MetadataJournalDays: "7",
          }),
        );
        expect(inventory.one(T.metadataConfiguration).inputs.metadataConfiguration).to.deep.equal({
          journalTableConfiguration: { recordExpiration: { expiration: "ENABLED", days: 7 } },
          inventoryTableConfiguration: { configurationState: "ENABLED" },
        });
      });

      it("gives Athena a workgroup writing under the results prefix, with a bytes-scanned cutoff", () => {
        const workgroup = meta.one(T.workgroup);
        expect(workgroup.inputs.configuration).to.deep.equal({
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: 10737418240,
          resultConfiguration: {
            outputLocation: `s3://${bucketNamed(meta, "results").state.bucket}/x/.s3-exiftool/athena/`,
            encryptionConfiguration: { encryptionOption: "SSE_S3" },
          },
        });
      });

      it("saves the named queries over the bucket's annotation table, and names them in outputs", async () => {
        const namespace = `b_${bucketNamed(meta, "uploads").state.bucket}`;
        const named = meta.of(T.namedQuery);
        expect(named.map((q) => q.name.split("-annotations-")[1]).sort()).to.deep.equal(
          NAMED_QUERIES.map((q) => q.id).sort(),
        );
        for (const query of named) {
          const spec = NAMED_QUERIES.find((q) => query.name.endsWith(`-${q.id}`))!;
          expect(query.inputs).to.include({
            workgroup: meta.one(T.workgroup).state.name,
            database: namespace,
            query: spec.sql({ namespace, annotationName: "exiftool" }),
          });
        }
        expect(await valueOf(meta.outputs.athenaDatabase!)).to.equal(namespace);
        expect(meta.outputs).to.include({
          athenaCatalog: "s3tablescatalog/aws-s3",
          annotationTable: "annotation",
        });
        expect(await valueOf(meta.outputs.athenaWorkgroup!)).to.equal(
          meta.one(T.workgroup).state.name,
        );
        const ids = await valueOf(pulumi.all(meta.outputs.athenaNamedQueries!));
        expect(Object.keys(ids).sort()).to.deep.equal(NAMED_QUERIES.map((q) => q.id).sort());
        for (const id of Object.values(ids)) {
          expect(named.map((q) => `${q.name}-a1b2c3d`)).to.include(id);
        }
      });
    });

    it("an existing upload bucket gets S3 Metadata only when s3Metadata is true", async () => {
      const quiet = await deploy(
        devSettings({ uploadBucketName: "their-photos", resultDestination: "annotation" }),
      );
      expect(quiet.of(T.metadataConfiguration)).to.be.empty;
      const opted = await deploy(
        devSettings({ uploadBucketName: "their-photos", s3Metadata: "true" }),
      );
      expect(opted.one(T.metadataConfiguration).inputs.bucket).to.equal("their-photos");
      expect(opted.one(T.annotationTable).inputs.bucket).to.equal("their-photos");
    });

    it("adds no wildcard action and no '*' resource to any role", async () => {
      const both = await deploy(
        devSettings({ resultDestination: "both", s3MetadataInventory: "true" }),
      );
      for (const policy of both.of(T.rolePolicy).filter((p) => !p.name.includes("batch"))) {
        for (const statement of doc(policy.inputs.policy).Statement) {
          for (const action of asList<string>(statement.Action)) {
            expect(action, policy.name).to.match(/^[a-z0-9]+:[A-Za-z]+$/);
          }
          for (const resource of asList<string>(statement.Resource)) {
            expect(resource, policy.name).not.to.equal("*");
            expect(resource, policy.name).to.match(/^arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:/);
          }
        }
      }
    });
  });

  describe("observability", () => {
    it("creates the function's log group with the configured retention", async () => {
      expect(base.one(T.logGroup).inputs.retentionInDays).to.equal(30);
      const kept = await deploy(devSettings({ logRetentionDays: "90" }));
      expect(kept.one(T.logGroup).inputs.retentionInDays).to.equal(90);
    });

    it("alarms on DLQ depth, oldest message age, function errors and throttles", () => {
      const { queue, dlq } = queues(base);
      const alarms = base.of(T.alarm).map((a) => a.inputs);
      const find = (metricName: string) => alarms.find((a) => a.metricName === metricName)!;
      expect(find("ApproximateNumberOfMessagesVisible")).to.deep.include({
        namespace: "AWS/SQS",
        dimensions: { QueueName: dlq.state.name },
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
      });
      expect(find("ApproximateAgeOfOldestMessage")).to.deep.include({
        dimensions: { QueueName: queue.state.name },
        threshold: 3600,
      });
      const fnName = base.one(T.fn).state.name;
      for (const metric of ["Errors", "Throttles"]) {
        expect(find(metric)).to.deep.include({
          namespace: "AWS/Lambda",
          dimensions: { FunctionName: fnName },
          threshold: 0,
        });
      }
      expect(alarms).to.have.length(4);
      // No e-mail configured: no topic, nothing to notify.
      expect(base.of(T.topic)).to.have.length(0);
      expect(alarms.every((a) => a.alarmActions.length === 0)).to.equal(true);
    });

    it("with alarmEmail, notifies an SNS topic with an e-mail subscription", async () => {
      const notified = await deploy(devSettings({ alarmEmail: "ops@example.com" }));
      const topic = notified.one(T.topic);
      expect(notified.one(T.subscription).inputs).to.include({
        topic: topic.state.arn,
        protocol: "email",
        endpoint: "ops@example.com",
      });
      for (const alarm of notified.of(T.alarm)) {
        expect(alarm.inputs.alarmActions).to.deep.equal([topic.state.arn]);
      }
    });
  });

  describe("naming and portability", () => {
    it("names every resource after the project and stack", () => {
      // base is the first stack deployed: nothing else registered at the same time
      expect(base.registered).to.have.length.greaterThan(25);
      for (const resource of base.registered) {
        expect(
          resource.name === base.prefix || resource.name.startsWith(`${base.prefix}-`),
          `${resource.type} ${resource.name}`,
        ).to.equal(true);
      }
    });

    it("has arm64 throughout and no x86 anywhere in the graph", () => {
      const graph = JSON.stringify(base.resources.map((r) => r.inputs));
      expect(graph).not.to.match(/x86_64|amd64/);
      expect(graph).to.include("linux/arm64");
    });

    it("hard-codes no account, region or bucket name in the program", () => {
      const sources = [
        "index.ts",
        ...readdirSync(path.join(ROOT, "infra"), { recursive: true, encoding: "utf8" })
          .filter((f) => f.endsWith(".ts"))
          .map((f) => `infra/${f}`),
      ];
      for (const file of sources) {
        const text = readFileSync(path.join(ROOT, file), "utf8");
        expect(text, file).not.to.match(/\b\d{12}\b/);
        expect(text, file).not.to.match(
          /\b(us|eu|ap|sa|ca|me|af|il|mx)-(north|south|east|west|central|northeast|southeast)-\d\b/,
        );
        expect(text, file).not.to.match(/arn:aws:s3:::[a-z0-9]/);
      }
    });
  });

  describe("Batch Operations and the dashboard", () => {
    const batchPolicy = (d: Deployed): Doc =>
      doc(d.one(T.rolePolicy, "-batch-operations").inputs.policy);

    it("gives S3 Batch Operations, for this account only, a role of its own", async () => {
      const role = base.one(T.role, "-batch-operations");
      expect(doc(role.inputs.assumeRolePolicy).Statement).to.deep.equal([
        {
          Effect: "Allow",
          Principal: { Service: "batchoperations.s3.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
        },
      ]);
      expect(base.one(T.rolePolicy, "-batch-operations").inputs.role).to.equal(role.state.name);
      expect(await valueOf(base.outputs.batchOperationsRoleArn)).to.equal(role.state.arn);
    });

    it("may invoke the function, read manifests and write reports, under the backfill folder only", async () => {
      const results = bucketNamed(base, "results").state.arn;
      const folder = `${results}/.s3-exiftool/backfill/*`;
      expect(batchPolicy(base).Statement.map((s) => [s.Action, s.Resource])).to.deep.equal([
        [["lambda:InvokeFunction"], [base.one(T.fn).state.arn]],
        [["s3:GetObject", "s3:GetObjectVersion"], [folder]],
        [["s3:PutObject"], [folder]],
        [["s3:GetBucketLocation"], [results]],
      ]);
      const shared = await deploy(
        devSettings({
          resultsInUploadBucket: "true",
          resultsPrefix: "exiftool/",
          filterPrefix: "incoming/",
        }),
      );
      const uploads = bucketNamed(shared, "uploads").state.arn;
      expect(batchPolicy(shared).Statement[1]!.Resource).to.deep.equal([
        `${uploads}/exiftool/.s3-exiftool/backfill/*`,
      ]);
      for (const statement of [...batchPolicy(base).Statement, ...batchPolicy(shared).Statement]) {
        expect(statement.Effect).to.equal("Allow");
        for (const action of asList<string>(statement.Action)) {
          expect(action).to.match(/^[a-z0-9]+:[A-Za-z]+$/);
        }
        for (const resource of asList<string>(statement.Resource))
          expect(resource).not.to.equal("*");
      }
    });

    it("exports what `npm run backfill` reads", async () => {
      const exported = await valueOf(
        pulumi.all({
          accountId: base.outputs.accountId,
          region: base.outputs.region,
          functionArn: base.outputs.functionArn,
          resultsBucketName: base.outputs.resultsBucketName,
        }),
      );
      expect(exported).to.deep.equal({
        accountId: ACCOUNT,
        region: "eu-west-1",
        functionArn: base.one(T.fn).state.arn,
        resultsBucketName: bucketNamed(base, "results").state.bucket,
      });
      // ExifTool's release as the worker reports it, not the npm package's version
      expect(base.outputs.exiftoolVersion).to.match(/^\d+\.\d+$/);
      expect(packageExiftoolVersion(ROOT).startsWith(`${base.outputs.exiftoolVersion}.`)).to.equal(
        true,
      );
      expect(exiftoolRelease("13.59.3")).to.equal("13.59");
      expect(() => exiftoolRelease("13.59")).to.throw(/exiftool-vendored.pl version/);
      const options = await deploy(devSettings({ exiftoolOptions: '["-G1","-n"]' }));
      expect(options.outputs.exiftoolOptions).to.deep.equal(["-G1", "-n"]);
      expect(base.outputs.filterPrefix).to.equal("");
    });

    it("has one dashboard with every panel on this stack's function and queues, and its URL", async () => {
      const dashboard = base.one(T.dashboard);
      const { queue, dlq } = queues(base);
      const fnName = base.one(T.fn).state.name;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const widgets = JSON.parse(dashboard.inputs.dashboardBody).widgets as any[];
      const byTitle = Object.fromEntries(widgets.map((w) => [w.properties.title, w.properties]));
      expect(Object.keys(byTitle)).to.deep.equal([
        "Objects processed",
        "Failures by type",
        "Dead-letter queue depth",
        "Age of the oldest queued message (s)",
        "Extraction duration per object (ms)",
        "Bytes read against object size",
        "Acknowledged without a result (objects)",
        "Annotations and deleted results",
        "Concurrent executions",
      ]);
      for (const widget of widgets) expect(widget.properties.region).to.equal("eu-west-1");
      const own = ["S3ExifTool", "service", "s3-exiftool"];
      expect(byTitle["Objects processed"].metrics).to.deep.equal([
        ["S3ExifTool", "ObjectsProcessed", "service", "s3-exiftool", { stat: "Sum" }],
      ]);
      expect(byTitle["Failures by type"].metrics[0][0].expression).to.include(
        '{S3ExifTool,FailureType,service} MetricName="Failures"',
      );
      expect(byTitle["Dead-letter queue depth"].metrics[0]).to.include(dlq.state.name);
      expect(byTitle["Age of the oldest queued message (s)"].metrics[0]).to.include(
        queue.state.name,
      );
      expect(
        byTitle["Extraction duration per object (ms)"].metrics.map((m: unknown[]) => [
          m[1],
          (m[4] as { stat: string }).stat,
        ]),
      ).to.deep.equal([
        ["Duration", "p50"],
        ["Duration", "p99"],
      ]);
      expect(
        byTitle["Bytes read against object size"].metrics.map((m: unknown[]) => m[1]),
      ).to.deep.equal(["BytesRead", "ObjectSize"]);
      // every metric the function emits for an object it acknowledges without
      // a result, and for annotations and deleted results, has a line
      expect(
        byTitle["Acknowledged without a result (objects)"].metrics.map((m: unknown[]) => m[1]),
      ).to.deep.equal([
        "FailuresRecorded",
        "ObjectsDeletedBeforeRead",
        "ObjectsArchived",
        "ResultsSuperseded",
      ]);
      expect(
        byTitle["Annotations and deleted results"].metrics.map((m: unknown[]) => m[1]),
      ).to.deep.equal(["AnnotationsWritten", "AnnotationsRefused", "ResultsDeleted"]);
      for (const m of [
        ...byTitle["Objects processed"].metrics,
        ...byTitle["Bytes read against object size"].metrics,
        ...byTitle["Acknowledged without a result (objects)"].metrics,
        ...byTitle["Annotations and deleted results"].metrics,
      ]) {
        expect([m[0], m[2], m[3]]).to.deep.equal(own);
      }
      expect(byTitle["Concurrent executions"].metrics[0]).to.include.members([
        "AWS/Lambda",
        "ConcurrentExecutions",
        fnName,
      ]);
      expect(await valueOf(base.outputs.dashboardUrl)).to.equal(
        `https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=${dashboard.inputs.dashboardName}`,
      );
      const renamed = await deploy(devSettings({ metricsNamespace: "Photos" }));
      expect(renamed.one(T.dashboard).inputs.dashboardBody).to.include(
        '"Photos","ObjectsProcessed"',
      );
    });
  });
});

describe("release pipeline (Pulumi mocks)", () => {
  const RELEASE_TYPES = [T.pipeline, T.project, T.schedule, T.eventRule, T.eventTarget];

  let on: Deployed;
  let stackPrefix: string;
  before(async () => {
    on = await deploy(devSettings({ releasePipeline: releaseConfig() }));
    stackPrefix = on.one(T.pipeline).name.replace(/-release$/, "");
  });

  const named = (type: string, suffix: string): Recorded =>
    on.of(type).find((r) => r.name === `${stackPrefix}-release${suffix}`)!;
  it("is absent unless releasePipeline is set: no pipeline, project, schedule or rule", async () => {
    const off = await deploy(devSettings());
    for (const type of RELEASE_TYPES) expect(off.of(type), type).to.have.length(0);
    expect(off.outputs.releasePipelineName).to.equal(undefined);
    expect(off.outputs.releasePipelineUrl).to.equal(undefined);
    for (const type of RELEASE_TYPES) expect(on.of(type), type).not.to.have.length(0);
  });

  it("is a V2 pipeline: source from the connection, build and test, deploy", () => {
    const pipeline = on.one(T.pipeline).inputs;
    expect(pipeline.pipelineType).to.equal("V2");
    expect(pipeline.executionMode).to.equal("QUEUED");
    expect(pipeline.roleArn).to.equal(named(T.role, "-pipeline").state.arn);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const stages = pipeline.stages as { name: string; actions: any[] }[];
    expect(stages.map((stage) => stage.name)).to.deep.equal(["Source", "BuildAndTest", "Deploy"]);
    const [source] = stages[0]!.actions;
    expect(source).to.deep.include({ provider: "CodeStarSourceConnection", category: "Source" });
    expect(source.configuration).to.deep.include({
      ConnectionArn: RELEASE_CONNECTION,
      FullRepositoryId: "acme/s3-exiftool",
      BranchName: "main",
    });
    const [build] = stages[1]!.actions;
    expect(build.provider).to.equal("CodeBuild");
    expect(build.configuration.ProjectName).to.equal(named(T.project, "-build").state.name);
    expect(JSON.parse(build.configuration.EnvironmentVariables)).to.deep.equal([
      { name: "APPLY_PINS", value: "#{variables.APPLY_PINS}", type: "PLAINTEXT" },
    ]);
    expect(build.outputArtifacts).to.deep.equal(["built"]);
    const [deployAction] = stages[2]!.actions;
    expect(deployAction.configuration.ProjectName).to.equal(named(T.project, "-deploy").state.name);
    expect(deployAction.inputArtifacts).to.deep.equal(["built"]);
    expect(pipeline.variables).to.deep.equal([
      {
        name: "APPLY_PINS",
        defaultValue: "false",
        description: "true: the build applies the latest pins (npm run versions -- --write)",
      },
    ]);
  });

  it("is triggered by pushes to the branch that touch the image, the stack or the pipeline", () => {
    const [trigger] = on.one(T.pipeline).inputs.triggers;
    expect(trigger.providerType).to.equal("CodeStarSourceConnection");
    expect(trigger.gitConfiguration.sourceActionName).to.equal("Source");
    const [push] = trigger.gitConfiguration.pushes;
    expect(push.branches).to.deep.equal({ includes: ["main"] });
    expect(push.filePaths.includes).to.deep.equal(TRIGGER_PATHS);
    // CodePipeline accepts at most 8 patterns
    expect(TRIGGER_PATHS.length).to.be.at.most(8);
    expect(TRIGGER_PATHS).to.include.members([
      "Dockerfile",
      "Pulumi.*.yaml",
      "package*.json",
      "function/**",
      "infra/**",
    ]);
  });

  it("puts a manual approval between build and deploy when configured", async () => {
    const approved = await deploy(
      devSettings({ releasePipeline: releaseConfig({ manualApproval: true }) }),
    );
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const stages = approved.one(T.pipeline).inputs.stages as { name: string; actions: any[] }[];
    expect(stages.map((stage) => stage.name)).to.deep.equal([
      "Source",
      "BuildAndTest",
      "Approve",
      "Deploy",
    ]);
    expect(stages[2]!.actions[0]).to.deep.include({ category: "Approval", provider: "Manual" });
    const topic = approved.of(T.topic).find((t) => t.name.endsWith("-release"))!;
    expect(stages[2]!.actions[0].configuration.NotificationArn).to.equal(topic.state.arn);
  });

  it("runs arm64 CodeBuild projects, privileged for Docker, on the buildspecs in the repository", () => {
    const projects = on.of(T.project);
    expect(projects).to.have.length(3);
    for (const project of projects) {
      expect(project.inputs.environment.type).to.equal("ARM_CONTAINER");
      expect(project.inputs.environment.image).to.match(/aarch64/);
    }
    const build = named(T.project, "-build").inputs;
    const deployProject = named(T.project, "-deploy").inputs;
    const versions = named(T.project, "-versions").inputs;
    expect(build.environment.privilegedMode).to.equal(true);
    expect(deployProject.environment.privilegedMode).to.equal(true);
    expect(versions.environment.privilegedMode).to.equal(false);
    expect(build.source).to.deep.equal({ type: "CODEPIPELINE", buildspec: BUILDSPECS.build });
    expect(deployProject.source.buildspec).to.equal(BUILDSPECS.deploy);
    expect(versions.source).to.deep.equal({
      type: "GITHUB",
      location: "https://github.com/acme/s3-exiftool.git",
      auth: { type: "CODECONNECTIONS", resource: RELEASE_CONNECTION },
      buildspec: BUILDSPECS.versionCheck,
    });
    expect(versions.sourceVersion).to.equal("main");
    for (const file of Object.values(BUILDSPECS))
      expect(existsSync(path.join(ROOT, file)), file).to.equal(true);
    const variables = (p: Recorded["inputs"]) =>
      Object.fromEntries(
        (p.environment.environmentVariables as { name: string; value: string; type: string }[]).map(
          (v) => [v.name, v],
        ),
      );
    expect(variables(build).IMAGE_REPOSITORY!.value).to.equal(
      on.one(T.repository).state.repositoryUrl,
    );
    expect(variables(deployProject).PULUMI_CONFIG_PASSPHRASE).to.deep.equal({
      name: "PULUMI_CONFIG_PASSPHRASE",
      value: "s3-exiftool/pulumi-passphrase",
      type: "SECRETS_MANAGER",
    });
    expect(variables(deployProject).PULUMI_BACKEND_URL!.value).to.equal(
      "s3://acme-pulumi-state/s3-exiftool",
    );
    expect(variables(versions).PIPELINE_NAME!.value).to.equal(on.one(T.pipeline).state.name);
  });

  it("checks versions on a schedule (daily by default) through a role that may only start that check", async () => {
    const schedule = on.one(T.schedule).inputs;
    expect(schedule.scheduleExpression).to.equal("rate(1 day)");
    expect(schedule.target.arn).to.equal(START_BUILD_TARGET);
    expect(JSON.parse(schedule.target.input)).to.deep.equal({
      ProjectName: named(T.project, "-versions").state.name,
    });
    expect(schedule.target.roleArn).to.equal(named(T.role, "-schedule").state.arn);
    const policy = doc(
      on.of(T.rolePolicy).find((r) => r.name === `${stackPrefix}-release-schedule`)!.inputs.policy,
    );
    expect(policy.Statement.map((s) => [s.Action, s.Resource])).to.deep.equal([
      [["codebuild:StartBuild"], [named(T.project, "-versions").state.arn]],
    ]);
    const weekly = await deploy(
      devSettings({ releasePipeline: releaseConfig({ schedule: "cron(0 6 ? * MON *)" }) }),
    );
    expect(weekly.one(T.schedule).inputs.scheduleExpression).to.equal("cron(0 6 ? * MON *)");
  });

  it("sends each run's result to the release topic, e-mailed to alarmEmail when set", async () => {
    const topic = on.of(T.topic).find((t) => t.name.endsWith("-release"))!;
    const pattern = JSON.parse(on.one(T.eventRule).inputs.eventPattern);
    expect(pattern).to.deep.equal({
      source: ["aws.codepipeline"],
      "detail-type": ["CodePipeline Pipeline Execution State Change"],
      detail: {
        pipeline: [on.one(T.pipeline).state.name],
        state: ["SUCCEEDED", "FAILED", "STOPPED", "SUPERSEDED"],
      },
    });
    expect(on.one(T.eventTarget).inputs.arn).to.equal(topic.state.arn);
    const topicPolicy = doc(on.one(T.topicPolicy).inputs.policy);
    expect(topicPolicy.Statement[0]).to.deep.include({
      Principal: { Service: "events.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topic.state.arn,
      Condition: { ArnEquals: { "aws:SourceArn": on.one(T.eventRule).state.arn } },
    });
    expect(on.of(T.subscription)).to.have.length(0);
    const mailed = await deploy(
      devSettings({ releasePipeline: releaseConfig(), alarmEmail: "ops@example.com" }),
    );
    const releaseTopic = mailed.of(T.topic).find((t) => t.name.endsWith("-release"))!;
    expect(
      mailed.of(T.subscription).map((s) => [s.inputs.topic, s.inputs.endpoint]),
    ).to.deep.include([releaseTopic.state.arn, "ops@example.com"]);
  });

  it("exports the pipeline's name, console URL and topic", async () => {
    expect(await valueOf(on.outputs.releasePipelineName!)).to.equal(on.one(T.pipeline).state.name);
    expect(await valueOf(on.outputs.releasePipelineUrl!)).to.equal(
      `https://${REGION}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${on.one(T.pipeline).state.name}/view?region=${REGION}`,
    );
    expect(await valueOf(on.outputs.releaseTopicArn!)).to.match(/^arn:aws:sns:/);
  });

  it("gives each role one service principal and named actions on this stack's resources only", async () => {
    const existing = await deploy(
      devSettings({
        releasePipeline: releaseConfig(),
        uploadBucketName: "team-archive",
        resultsBucketName: "team-meta",
        resultsPrefix: "exiftool/",
      }),
    );
    for (const [variant, buckets] of [
      [on, []],
      [existing, ["team-archive", "team-meta"]],
    ] as [Deployed, string[]][]) {
      const prefix = variant.one(T.pipeline).name.replace(/-release$/, "");
      const roles = variant.of(T.role).filter((r) => r.name.startsWith(`${prefix}-release`));
      expect(roles.map((r) => r.name.slice(prefix.length)).sort()).to.deep.equal([
        "-release-build",
        "-release-deploy",
        "-release-pipeline",
        "-release-schedule",
        "-release-versions",
      ]);
      const own = variant.resources.map((r) => r.state.arn as string).filter(Boolean);
      const configured = [
        RELEASE_CONNECTION,
        RELEASE_CONNECTION.replace(":codeconnections:", ":codestar-connections:"),
        "arn:aws:s3:::acme-pulumi-state",
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:s3-exiftool/pulumi-passphrase-??????`,
        ...buckets.map((bucket) => `arn:aws:s3:::${bucket}`),
      ];
      const stars: string[] = [];
      for (const role of roles) {
        const trust = doc(role.inputs.assumeRolePolicy).Statement;
        expect(trust).to.have.length(1);
        expect(Object.keys(trust[0]!.Principal)).to.deep.equal(["Service"]);
        const policy = doc(
          variant.of(T.rolePolicy).find((p) => p.name === role.name)!.inputs.policy,
        );
        for (const statement of policy.Statement) {
          // the Denies: the deploy role may not rewrite itself, nor the
          // boundary of the roles it writes, nor take that off them
          if (statement.Effect === "Deny") {
            for (const resource of asList<string>(statement.Resource))
              expect(own.includes(resource) || resource.includes(`:role/${prefix}-`)).to.equal(
                true,
              );
            continue;
          }
          expect(statement.Effect).to.equal("Allow");
          const actions = asList<string>(statement.Action);
          for (const action of actions) {
            expect(action, role.name).not.to.include("*");
            expect(action).to.match(/^[a-z0-9-]+:[A-Za-z]+$/);
          }
          for (const resource of asList<string>(statement.Resource)) {
            if (resource === "*") {
              // only where AWS allows nothing else, each with its reason
              for (const action of actions) {
                expect(AWS_STAR_ONLY, `${role.name}: ${action} on "*"`).to.have.property(action);
                const condition = AWS_STAR_ONLY[action]!.condition;
                if (condition)
                  expect(JSON.stringify(statement.Condition ?? {}), action).to.include(condition);
              }
              stars.push(...actions);
              continue;
            }
            const ours =
              own.some(
                (arn) =>
                  resource === arn || resource.startsWith(`${arn}/`) || resource === `${arn}:*`,
              ) ||
              resource.includes(`:${prefix}-`) ||
              resource.includes(`/${prefix}-`) ||
              resource.endsWith(`:dashboard/${prefix}`);
            const named = configured.some((c) => resource.startsWith(c));
            // list calls and mappings: scoped by account and type, justified in policies.ts
            const accountWide = [
              `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:*`,
              `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:*`,
            ].includes(resource);
            expect(ours || named || accountWide, `${role.name}: ${resource}`).to.equal(true);
          }
        }
      }
      // ListBuckets only where an existing upload bucket must be checked
      expect(stars.includes("s3:ListAllMyBuckets")).to.equal(buckets.length > 0);
      expect(stars).to.include("ecr:GetAuthorizationToken");
    }
  });

  it("lets the deploy role read the configured secrets and the state backend's objects", () => {
    const policy = doc(
      on.of(T.rolePolicy).find((p) => p.name === `${stackPrefix}-release-deploy`)!.inputs.policy,
    );
    const statement = (sid: string) => policy.Statement.find((s) => s.Sid === sid)!;
    expect(statement("Secrets").Resource).to.deep.equal([
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:s3-exiftool/pulumi-passphrase-??????`,
    ]);
    expect(statement("StateObjects").Resource).to.deep.equal([
      "arn:aws:s3:::acme-pulumi-state/s3-exiftool/*",
    ]);
    expect(statement("EventSourceMapping").Condition).to.deep.equal({
      ArnLike: {
        "lambda:FunctionArn": `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${stackPrefix}-*`,
      },
    });
    expect(statement("PassRoles").Condition.StringEquals["iam:PassedToService"]).to.include(
      "lambda.amazonaws.com",
    );
  });
});
