// What a first real deploy and the first pipeline run would meet that mocks
// alone do not show: each check reads the resource graph, a rendered policy
// or a buildspec, against what AWS documents (pages named beside each).
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  ACCOUNT,
  failureOf,
  MOCK_ORGANIZATION,
  recorded,
  REGION,
  settled,
  valueOf,
  type Recorded,
} from "./mocks";
import { devStackSettings, releaseConfig, RELEASE_CONNECTION, ROOT } from "./stack-config";
import {
  CONFIG_KEYS,
  ConfigError,
  MAX_STACK_NAME,
  PROJECT,
  type LogLevel,
} from "../../infra/config";
import { IMAGE_TAG, TESTED_TAG_PREFIX } from "../../infra/image";
import { functionLogging } from "../../infra/pipeline";
import { BOUNDED_ROLE_ACTIONS, RESOURCE_STAR_ONLY } from "../../infra/release/policies";
import { BUILDSPECS } from "../../infra/release/release-pipeline";
import { RoleBoundary, stackBoundary } from "../../infra/release/role-boundary";
import { deployStack } from "../../infra/stack";
import {
  lockedSdkVersion,
  pinProblem,
  PULUMI_CLI_PIN,
  readPulumiCliPin,
  REFRESH_COMMAND,
} from "../../commands/versions/pulumi-cli";
import { loadBuildspec } from "../../scripts/release/buildspec";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Statement = Record<string, any>;
const statements = (json: string): Statement[] =>
  (JSON.parse(json) as { Statement: Statement[] }).Statement;
const list = <V>(value: V | V[]): V[] => (Array.isArray(value) ? value : [value]);

const settings = devStackSettings;

/** The resources of one stack, by its own name (other test files use t1, t2, ...). */
async function deploy(stack: string, overrides: Record<string, string>): Promise<Recorded[]> {
  const outputs = deployStack(settings(overrides), stack);
  await valueOf(pulumi.all([outputs.functionArn, outputs.imageUri]));
  await settled();
  const prefix = `${PROJECT}-${stack}`;
  return recorded.filter((r) => r.name === prefix || r.name.startsWith(`${prefix}-`));
}

const one = (resources: Recorded[], type: string, nameEnd: string): Recorded => {
  const found = resources.filter((r) => r.type === type && r.name.endsWith(nameEnd));
  expect(found, `${type} ${nameEnd}`).to.have.length(1);
  return found[0]!;
};
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

describe("deploy review: the stack on a real account", () => {
  let stack: Recorded[];
  let deployPolicy: Statement[];
  before(async () => {
    stack = await deploy("review", { releasePipeline: releaseConfig() });
    deployPolicy = statements(one(stack, ROLE_POLICY, "-release-deploy").inputs.policy);
  });
  const granting = (action: string): Statement[] =>
    deployPolicy.filter((s) => s.Effect === "Allow" && list(s.Action).includes(action));

  it("lets the deploy role create the queue's event source mapping, scoped by the function it feeds", () => {
    // Lambda's service authorization reference: CreateEventSourceMapping has no
    // resource type, only the lambda:FunctionArn condition key
    const [create] = granting("lambda:CreateEventSourceMapping");
    expect(create!.Resource).to.deep.equal(["*"]);
    expect(RESOURCE_STAR_ONLY).to.have.property("lambda:CreateEventSourceMapping");
    expect(create!.Condition).to.deep.equal({
      ArnLike: {
        "lambda:FunctionArn": `arn:aws:lambda:${REGION}:${ACCOUNT}:function:s3-exiftool-review-*`,
      },
    });
    // the mapping's own actions: its ARN (event-source-mapping:UUID), same condition
    for (const action of ["Get", "Update", "Delete"]) {
      const [statement] = granting(`lambda:${action}EventSourceMapping`);
      expect(statement!.Resource).to.deep.equal([
        `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:*`,
      ]);
      expect(statement!.Condition).to.deep.equal(create!.Condition);
    }
    // every "*" resource is one AWS allows nothing else for
    for (const statement of deployPolicy.filter((s) => list(s.Resource).includes("*"))) {
      for (const action of list<string>(statement.Action))
        expect(RESOURCE_STAR_ONLY).to.have.property(action);
    }
  });

  it("lets the deploy role read and set the repository policy, which CreateFunction needs from it", () => {
    // Lambda: container images, "Amazon ECR permissions": when the repository
    // policy does not yet let Lambda pull, Lambda adds that with the caller's rights
    for (const action of ["ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy"]) {
      const [statement] = granting(action);
      expect(statement!.Resource, action).to.deep.equal([
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/s3-exiftool-review-*`,
      ]);
    }
  });

  it("never lets the deploy role rewrite its own permissions", () => {
    const self = one(stack, ROLE, "-release-deploy").state.arn as string;
    const denied = deployPolicy.filter(
      (s) => s.Effect === "Deny" && list(s.Resource).includes(self),
    );
    expect(denied).to.have.length(1);
    expect(denied[0]!.Resource).to.deep.equal([self]);
    for (const action of [
      "iam:PutRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:AttachRolePolicy",
      "iam:UpdateAssumeRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:DeleteRolePermissionsBoundary",
    ]) {
      expect(denied[0]!.Action).to.include(action);
    }
  });

  it("lets CodeBuild, CodePipeline and the scheduler assume their roles only for this stack's resources", () => {
    const base = (service: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}`;
    const expected: [string, string, string | string[]][] = [
      ["-release-build", "codebuild", `${base("codebuild")}:project/s3-exiftool-review-*`],
      ["-release-deploy", "codebuild", `${base("codebuild")}:project/s3-exiftool-review-*`],
      ["-release-versions", "codebuild", `${base("codebuild")}:project/s3-exiftool-review-*`],
      ["-release-pipeline", "codepipeline", `${base("codepipeline")}:s3-exiftool-review-*`],
      [
        "-release-schedule",
        "scheduler",
        [
          `${base("scheduler")}:schedule-group/default`,
          `${base("scheduler")}:schedule/default/s3-exiftool-review-*`,
        ],
      ],
    ];
    for (const [role, service, sourceArn] of expected) {
      const trust = statements(one(stack, ROLE, role).inputs.assumeRolePolicy);
      expect(trust, role).to.deep.equal([
        {
          Effect: "Allow",
          Principal: { Service: `${service}.amazonaws.com` },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            ArnLike: { "aws:SourceArn": sourceArn },
          },
        },
      ]);
    }
  });

  it("grants the connection's use under both codeconnections and codestar-connections", () => {
    const codestar = RELEASE_CONNECTION.replace(":codeconnections:", ":codestar-connections:");
    for (const role of ["-release-pipeline", "-release-versions"]) {
      const policy = statements(one(stack, ROLE_POLICY, role).inputs.policy);
      const use = policy.filter((s) =>
        list<string>(s.Action).some((a) => a.endsWith(":UseConnection")),
      );
      expect(use, role).to.have.length(1);
      expect(use[0]!.Action).to.include.members([
        "codeconnections:UseConnection",
        "codestar-connections:UseConnection",
      ]);
      expect(use[0]!.Resource).to.deep.equal([RELEASE_CONNECTION, codestar]);
    }
  });

  it("never expires the image the function runs, however many tested images follow it", () => {
    const rules = (
      JSON.parse(one(stack, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "-image").inputs.policy) as {
        rules: { selection: { tagStatus: string; tagPrefixList?: string[] } }[];
      }
    ).rules;
    // ECR: a tagged rule selects only images with a listed tag prefix
    for (const { selection } of rules) {
      expect(selection.tagStatus).not.to.equal("any");
      for (const prefix of selection.tagPrefixList ?? [])
        expect(IMAGE_TAG.startsWith(prefix)).to.equal(false);
    }
    expect(rules.map((r) => r.selection.tagPrefixList ?? [])).to.deep.include([TESTED_TAG_PREFIX]);
    const build = loadBuildspec(path.join(ROOT, BUILDSPECS.build));
    const pushes = build.commands.filter((c) => /\bdocker push\b/.test(c.command));
    expect(pushes).to.have.length(1);
    expect(pushes[0]!.command).to.include(`:${TESTED_TAG_PREFIX}`);
  });
});

describe("deploy review: the boundary of the roles the deploy role writes", () => {
  const POLICY = "aws:iam/policy:Policy";
  let stack: Recorded[];
  let boundaryArn: string;
  let deployPolicy: Statement[];
  before(async () => {
    // every role the stack can have: annotations bring S3 Metadata's role,
    // EventBridge the function's PutEvents
    stack = await deploy("bounded", {
      releasePipeline: releaseConfig({ manualApproval: true }),
      resultDestination: "both",
      enableEventBridge: "true",
    });
    boundaryArn = one(stack, POLICY, "-role-boundary").state.arn as string;
    deployPolicy = statements(one(stack, ROLE_POLICY, "-release-deploy").inputs.policy);
  });
  const roles = (resources: Recorded[]) => resources.filter((r) => r.type === ROLE);
  const bounded = () => roles(stack).filter((r) => !r.name.endsWith("-release-deploy"));
  const allowed = (policy: Statement[]) => policy.filter((s) => s.Effect === "Allow");

  it("gives every role the stack creates the boundary, but the deploy role", () => {
    // every aws:iam/role:Role of the stack, so a role added without it fails here
    expect(bounded().length).to.be.at.least(7);
    for (const role of bounded()) {
      expect(role.inputs.permissionsBoundary, role.name).to.equal(boundaryArn);
    }
    expect(one(stack, ROLE, "-release-deploy").inputs).not.to.have.property("permissionsBoundary");
  });

  it("gives every role the configured boundary in a stack without a pipeline, and none unless configured", async () => {
    const configured = `arn:aws:iam::${ACCOUNT}:policy/s3-exiftool-owner-role-boundary-a1b2c3d`;
    const deployed = roles(await deploy("deployed", { roleBoundaryArn: configured }));
    expect(deployed.length).to.be.at.least(2);
    for (const role of deployed)
      expect(role.inputs.permissionsBoundary, role.name).to.equal(configured);
    for (const role of roles(await deploy("plain", {})))
      expect(role.inputs, role.name).not.to.have.property("permissionsBoundary");
  });

  it("lets the deploy role write a role's permissions only on a role that carries the boundary", () => {
    const writes = [
      "iam:CreateRole",
      "iam:PutRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:AttachRolePolicy",
      "iam:DetachRolePolicy",
      "iam:PutRolePermissionsBoundary",
    ];
    const writing = allowed(deployPolicy).filter((s) =>
      list<string>(s.Action).some((action) => writes.includes(action)),
    );
    expect(writing.flatMap((s) => list<string>(s.Action))).to.include.members([
      "iam:CreateRole",
      "iam:PutRolePolicy",
    ]);
    for (const statement of writing) {
      expect(statement.Condition, statement.Sid).to.deep.equal({
        StringEquals: { "iam:PermissionsBoundary": boundaryArn },
      });
    }
    // the IAM actions it holds, all of them: none on a managed policy, none
    // that takes a boundary off
    expect(
      allowed(deployPolicy)
        .flatMap((s) => list<string>(s.Action))
        .filter((action) => action.startsWith("iam:"))
        .sort(),
    ).to.deep.equal(
      [
        ...BOUNDED_ROLE_ACTIONS,
        "iam:DeleteRole",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole",
        "iam:ListRolePolicies",
        "iam:PassRole",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateRole",
      ].sort(),
    );
    const kept = deployPolicy.filter(
      (s) => s.Effect === "Deny" && list(s.Action).includes("iam:DeleteRolePermissionsBoundary"),
    );
    expect(kept.flatMap((s) => list(s.Resource))).to.include(
      `arn:aws:iam::${ACCOUNT}:role/s3-exiftool-bounded-*`,
    );
  });

  it("never lets the deploy role change or delete the boundary", () => {
    const denied = deployPolicy.filter(
      (s) => s.Effect === "Deny" && list(s.Resource).includes(boundaryArn),
    );
    expect(denied.flatMap((s) => list(s.Action))).to.include.members([
      "iam:CreatePolicyVersion",
      "iam:DeletePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:DeletePolicy",
    ]);
    for (const statement of allowed(deployPolicy)) {
      for (const resource of list<string>(statement.Resource))
        expect(resource, statement.Sid).not.to.match(/:policy\//);
    }
  });

  it("bounds the roles to exactly the actions their own policies use, on the stack's resources, none of IAM", () => {
    const boundary = allowed(statements(one(stack, POLICY, "-role-boundary").inputs.policy));
    const granted = boundary.flatMap((s) => list<string>(s.Action));
    for (const action of granted) {
      expect(action).not.to.match(/^iam:|\*/);
    }
    for (const statement of boundary.filter((s) => list(s.Resource).includes("*"))) {
      for (const action of list<string>(statement.Action))
        expect(RESOURCE_STAR_ONLY).to.have.property(action);
    }
    // IAM's wildcards in a resource: * any characters, ? one
    const matches = (pattern: string, resource: string): boolean =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replace(/\*/g, ".*")
          .replace(/\?/g, ".")}$`,
      ).test(resource);
    const used = new Set<string>();
    for (const role of bounded()) {
      const policy = allowed(statements(one(stack, ROLE_POLICY, role.name).inputs.policy));
      for (const statement of policy) {
        for (const action of list<string>(statement.Action)) {
          used.add(action);
          for (const resource of list<string>(statement.Resource)) {
            const covered = boundary.some(
              (b) =>
                list(b.Action).includes(action) &&
                list<string>(b.Resource).some((pattern) => matches(pattern, resource)),
            );
            expect(covered, `${role.name}: ${action} on ${resource}`).to.equal(true);
          }
        }
      }
    }
    expect([...new Set(granted)].sort()).to.deep.equal([...used].sort());
  });

  it("covers the deployed stack's resources when the pipeline deploys another stack", async () => {
    const owner = await deploy("owner", { releasePipeline: releaseConfig({ stack: "target" }) });
    const boundary = statements(one(owner, POLICY, "-role-boundary").inputs.policy);
    const queues = boundary.find((s) => s.Sid === "ConsumeQueue")!.Resource;
    expect(queues).to.deep.equal([
      `arn:aws:sqs:${REGION}:${ACCOUNT}:s3-exiftool-owner-*`,
      `arn:aws:sqs:${REGION}:${ACCOUNT}:s3-exiftool-target-*`,
    ]);
  });

  it("hands the boundary to the stack the deploy stage updates", async () => {
    const variables = one(stack, "aws:codebuild/project:Project", "-release-deploy").inputs
      .environment.environmentVariables as { name: string; value: string }[];
    expect(variables.find((v) => v.name === "ROLE_BOUNDARY_ARN")!.value).to.equal(boundaryArn);
    const build = loadBuildspec(path.join(ROOT, BUILDSPECS.deploy)).commands;
    const up = build.filter((c) => /^pulumi up /.test(c.command));
    expect(up).to.have.length(1);
    expect(up[0]!.command).to.include(`--config "${PROJECT}:roleBoundaryArn=$ROLE_BOUNDARY_ARN"`);
    // and names it for a stack set up by hand
    const outputs = deployStack(settings({ releasePipeline: releaseConfig() }), "outputs");
    expect(await valueOf(outputs.releaseRoleBoundaryArn!)).to.match(
      /^arn:aws:iam::\d{12}:policy\/s3-exiftool-outputs-role-boundary-/,
    );
    // the key is the project's, checked like the others
    expect(CONFIG_KEYS).to.include("roleBoundaryArn");
    expect(() =>
      settings({ roleBoundaryArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
    ).to.throw(ConfigError, /s3-exiftool:roleBoundaryArn: must be a customer managed policy ARN/);
  });

  it("refuses a configured boundary other than the one its own pipeline requires", async () => {
    const own = new RoleBoundary("s3-exiftool-mismatch-role-boundary", {
      settings: settings({}),
      release: settings({ releasePipeline: releaseConfig() }).releasePipeline!,
      stack: "mismatch",
    });
    const other = `arn:aws:iam::${ACCOUNT}:policy/someone-elses`;
    const error = await failureOf(pulumi.output(stackBoundary(other, own)!));
    expect(error.message).to.match(
      /s3-exiftool:roleBoundaryArn is .*someone-elses, but this stack's release pipeline bounds its roles with/,
    );
    expect(await valueOf(stackBoundary("", own)!)).to.equal(await valueOf(own.policy.arn));
  });
});

describe("deploy review: names, logs and stacks", () => {
  it("keeps every name within its AWS limit at the longest stack name allowed", async () => {
    const stack = "n".repeat(MAX_STACK_NAME);
    const resources = await deploy(stack, { releasePipeline: releaseConfig() });
    // the limits AWS documents for each kind of name
    const limits: Record<string, number> = {
      "aws:s3/bucket:Bucket": 63,
      "aws:iam/role:Role": 64,
      "aws:lambda/function:Function": 64,
      "aws:scheduler/schedule:Schedule": 64,
      "aws:cloudwatch/eventRule:EventRule": 64,
      "aws:sqs/queue:Queue": 80,
      "aws:codepipeline/pipeline:Pipeline": 100,
      "aws:codebuild/project:Project": 150,
      "aws:ecr/repository:Repository": 256,
      "aws:sns/topic:Topic": 256,
    };
    let longestMargin = Infinity;
    for (const resource of resources.filter((r) => r.type in limits)) {
      const name = (resource.state.bucket ?? resource.state.name) as string;
      expect(name.length, `${resource.type} ${name}`).to.be.at.most(limits[resource.type]!);
      longestMargin = Math.min(longestMargin, limits[resource.type]! - name.length);
    }
    // the allowed length is the longest that fits: one more character would not
    expect(longestMargin).to.equal(0);
    expect(() => deployStack(settings({}), `${stack}n`)).to.throw(/too long/);
  });

  it("keeps the function's metrics at every accepted log level", () => {
    // Lambda, "Log-level filtering": a JSON line without a level, as an EMF
    // metric line is, counts as INFO, so a filter above INFO drops it
    for (const level of ["DEBUG", "INFO", "WARN", "ERROR"] as LogLevel[]) {
      const config = functionLogging(level, "group");
      if (config.logFormat === "JSON") {
        expect(["DEBUG", "INFO"], level).to.include(config.applicationLogLevel);
      } else {
        expect(config.logFormat, level).to.equal("Text");
        expect(config, level).not.to.have.property("applicationLogLevel");
      }
    }
  });

  it("deploys `org/project/stack` on Pulumi Cloud, never a bare name another organisation could own", async () => {
    const cloud = await deploy("cloud", {
      releasePipeline: releaseConfig({
        backendUrl: "https://api.pulumi.com",
        accessTokenSecret: "s3-exiftool/pulumi-token",
      }),
    });
    const variables = (nameEnd: string) =>
      one(cloud, "aws:codebuild/project:Project", nameEnd).inputs.environment
        .environmentVariables as { name: string; value: string }[];
    const stackOf = (nameEnd: string) =>
      variables(nameEnd).find((v) => v.name === "PULUMI_STACK")!.value;
    expect(stackOf("-release-deploy")).to.equal(`${MOCK_ORGANIZATION}/s3-exiftool/cloud`);
    // an S3 backend has no organisations: the bare name
    const s3 = await deploy("selfhosted", { releasePipeline: releaseConfig() });
    const s3Stack = (
      one(s3, "aws:codebuild/project:Project", "-release-deploy").inputs.environment
        .environmentVariables as { name: string; value: string }[]
    ).find((v) => v.name === "PULUMI_STACK")!.value;
    expect(s3Stack).to.equal("selfhosted");
  });
});

describe("deploy review: image builds and the deploy stage's tools", () => {
  const deploySpec = loadBuildspec(path.join(ROOT, BUILDSPECS.deploy));

  it("builds every image that feeds Lambda as one platform's manifest, never an index", () => {
    // Lambda refuses an OCI image index (aws/aws-lambda-roadmap#82), which a
    // default provenance attestation makes: the deploy stage's buildx adds none
    expect(deploySpec.variables).to.include({ BUILDX_NO_DEFAULT_ATTESTATIONS: "1" });
    const testImage = readFileSync(path.join(ROOT, "scripts", "test-image.ts"), "utf8");
    expect(testImage).to.include("--provenance=false");
    // the image resource builds one platform (awsx passes it to docker-build,
    // whose in-process builds add no provenance attestation)
    const image = recorded.find((r) => r.type === "awsx:ecr:Image")!;
    expect(image.inputs.platform).to.equal("linux/arm64");
  });

  const install = deploySpec.commands.filter((c) => c.phase === "install").map((c) => c.command);
  const cli = install.find((c) => c.includes("pulumi-v$version-linux-arm64.tar.gz"))!;

  it("installs the Pulumi CLI from the committed pin, never a piped script", () => {
    const text = install.join("\n");
    expect(text).not.to.match(/\|\s*(sh|bash)\b/);
    expect(text).not.to.include("get.pulumi.com");
    // the release's list only while the pin holds no SHA-256 (tested below)
    expect(text.match(/checksums/g)).to.have.length(4);
    expect(cli.indexOf('if [ -z "$sha256" ]')).to.be.lessThan(cli.indexOf("checksums.txt"));
    expect(cli).to.include(`require("./${PULUMI_CLI_PIN}").linuxArm64Sha256`);
    expect(cli).to.include('echo "$sha256  $tarball" | sha256sum -c -');
    expect(cli.indexOf("sha256sum -c")).to.be.lessThan(cli.indexOf("tar -xzf"));
  });

  describe("the install step, run by bash on a stand-in release", () => {
    let work: string;
    let tarball: string;
    let tarballSha256: string;
    const version = "3.999.0";
    before(() => {
      work = mkdtempSync(path.join(tmpdir(), "pulumi-cli-"));
      const release = path.join(work, "release-asset", "pulumi");
      mkdirSync(release, { recursive: true });
      writeFileSync(path.join(release, "pulumi"), `#!/bin/sh\necho v${version}\n`, { mode: 0o755 });
      tarball = path.join(work, "asset.tar.gz");
      execFileSync("tar", ["-czf", tarball, "-C", path.dirname(release), "pulumi"]);
      tarballSha256 = createHash("sha256").update(readFileSync(tarball)).digest("hex");
      // curl as the step calls it (-fsSLo FILE URL): the stand-in asset or
      // the release's checksums list (from checksums.txt in the working
      // directory the test writes), and a log of the URL
      mkdirSync(path.join(work, "bin"));
      writeFileSync(
        path.join(work, "bin", "curl"),
        `#!/bin/sh\necho "$3" >> "${work}/curl.log"\ncase "$3" in *checksums.txt) cp "${work}/published.txt" "$2";; *) cp "${tarball}" "$2";; esac\n`,
        { mode: 0o755 },
      );
    });
    after(() => rmSync(work, { recursive: true, force: true }));

    /** The step in a fresh checkout holding `pin`, with @pulumi/pulumi at `sdk`. */
    const runStep = (pin: { version: string; linuxArm64Sha256: string }, sdk = pin.version) => {
      const checkout = mkdtempSync(path.join(work, "checkout-"));
      mkdirSync(path.join(checkout, "release"));
      writeFileSync(path.join(checkout, PULUMI_CLI_PIN), JSON.stringify(pin));
      const sdkDir = path.join(checkout, "node_modules", "@pulumi", "pulumi");
      mkdirSync(sdkDir, { recursive: true });
      writeFileSync(path.join(sdkDir, "package.json"), JSON.stringify({ version: sdk }));
      const installDir = path.join(checkout, "installed");
      mkdirSync(installDir);
      // the one change: unpack into the checkout, not /usr/local/bin
      expect(cli.split("/usr/local/bin")).to.have.length(2);
      const result = spawnSync("bash", ["-c", cli.replace("/usr/local/bin", installDir)], {
        cwd: checkout,
        encoding: "utf8",
        env: { ...process.env, PATH: `${installDir}:${work}/bin:${process.env.PATH}` },
      });
      const log = path.join(work, "curl.log");
      const fetched = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
      rmSync(log, { force: true });
      return { ...result, fetched, installed: existsSync(path.join(installDir, "pulumi")) };
    };

    it("unpacks and runs the release whose SHA-256 the pin holds", () => {
      const run = runStep({ version, linuxArm64Sha256: tarballSha256 });
      expect(run.status, run.stderr).to.equal(0);
      expect(run.fetched).to.deep.equal([
        `https://github.com/pulumi/pulumi/releases/download/v${version}/pulumi-v${version}-linux-arm64.tar.gz`,
      ]);
      expect(run.installed).to.equal(true);
      expect(run.stdout).to.include(`v${version}`);
    });

    it("stops before unpacking a download whose SHA-256 is not the pinned one", () => {
      const run = runStep({ version, linuxArm64Sha256: "0".repeat(64) });
      expect(run.status).not.to.equal(0);
      expect(run.stdout + run.stderr).to.include("FAILED");
      expect(run.installed).to.equal(false);
    });

    it("downloads nothing for another SDK version or a malformed SHA-256, and says what to run", () => {
      for (const run of [
        runStep({ version, linuxArm64Sha256: "abc" }),
        runStep({ version, linuxArm64Sha256: tarballSha256 }, "3.1000.0"),
      ]) {
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include(REFRESH_COMMAND);
        expect(run.fetched).to.deep.equal([]);
        expect(run.installed).to.equal(false);
      }
    });

    it("without a recorded SHA-256, checks the download against the release's published list, with a warning", () => {
      const asset = `pulumi-v${version}-linux-arm64.tar.gz`;
      const published = (sha: string): void =>
        writeFileSync(
          path.join(work, "published.txt"),
          `${"1".repeat(64)}  pulumi-v${version}-darwin-arm64.tar.gz\n${sha}  ${asset}\n`,
        );
      published(tarballSha256);
      const run = runStep({ version, linuxArm64Sha256: "" });
      expect(run.status, run.stderr).to.equal(0);
      expect(run.stderr).to.include("WARNING").and.to.include(REFRESH_COMMAND);
      expect(run.fetched).to.deep.equal([
        `https://github.com/pulumi/pulumi/releases/download/v${version}/pulumi-${version}-checksums.txt`,
        `https://github.com/pulumi/pulumi/releases/download/v${version}/${asset}`,
      ]);
      expect(run.installed).to.equal(true);
      // a list whose line for the asset does not match the download stops it
      published("2".repeat(64));
      const bad = runStep({ version, linuxArm64Sha256: "" });
      expect(bad.stdout + bad.stderr).to.include("FAILED");
      expect(bad.installed).to.equal(false);
    });
  });

  it("pins the Pulumi CLI at the @pulumi/pulumi version package-lock.json installs", () => {
    const pin = readPulumiCliPin(ROOT);
    const sdk = lockedSdkVersion(ROOT);
    // a bump of @pulumi/pulumi alone fails here, with the command that fixes it
    expect(pin.version, pinProblem(pin, sdk)).to.equal(sdk);
    expect(pinProblem({ ...pin, version: "3.1.0" }, sdk)).to.equal(
      `${PULUMI_CLI_PIN} pins the Pulumi CLI 3.1.0, but package-lock.json has @pulumi/pulumi ${sdk}: run \`${REFRESH_COMMAND}\` and commit the file`,
    );
  });
});
