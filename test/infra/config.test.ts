import { expect } from "chai";
import {
  CONFIG_KEYS,
  ConfigError,
  DEFAULTS,
  parseSettings,
  PROJECT,
  MAX_STACK_NAME,
  resourcePrefix,
  visibilityTimeoutFor,
  type Settings,
} from "../../infra/config";
import { packageExiftoolVersion } from "../../infra/package-pins";
import { commandsWithEveryForm } from "../support/accepted-options";
import { devStackConfig, ROOT } from "./stack-config";
const PACKAGE_VERSION = packageExiftoolVersion(ROOT);
const DIGEST = `sha256:${"ab".repeat(32)}`;

function settingsWith(overrides: Record<string, string>): Settings {
  const values: Record<string, string> = {
    exiftoolVersion: PACKAGE_VERSION,
    baseImageDigest: DIGEST,
    ...overrides,
  };
  return parseSettings((key) => values[key], { exiftoolPackageVersion: PACKAGE_VERSION });
}

function failure(overrides: Record<string, string>): ConfigError {
  try {
    settingsWith(overrides);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(overrides)} to be refused`);
}

describe("infra config", () => {
  it("Pulumi.dev.yaml lists every setting, and its values are the defaults", () => {
    const config = devStackConfig();
    const keys = Object.keys(config).filter((key) => key.startsWith(`${PROJECT}:`));
    expect(keys.map((key) => key.slice(PROJECT.length + 1))).to.have.members(CONFIG_KEYS);

    const fromFile = parseSettings((key) => config[`${PROJECT}:${key}`], {
      exiftoolPackageVersion: PACKAGE_VERSION,
    });
    const fromDefaults = settingsWith({
      baseImageDigest: fromFile.baseImageDigest,
      perlVersion: fromFile.perlVersion,
      perlSha256: fromFile.perlSha256,
    });
    expect(fromFile).to.deep.equal(fromDefaults);
  });

  it("has documented defaults: Node 24, system Perl, maxReceiveCount 5", () => {
    const settings = settingsWith({});
    expect(settings.nodeMajor).to.equal(24);
    expect(settings.perlSource).to.equal("system");
    expect(settings.maxReceiveCount).to.equal(5);
    expect(settings.exiftoolOptions).to.deep.equal([]);
    expect(settings.enableEventBridge).to.equal(false);
  });

  it("accepts an existing results bucket when results keep to a folder of it", () => {
    const settings = settingsWith({
      resultsBucketName: "their-results",
      resultsPrefix: "exiftool/",
    });
    expect(settings).to.include({ resultsBucketName: "their-results", resultsPrefix: "exiftool/" });
  });

  it("parses numbers, booleans and lists from their config strings", () => {
    const settings = settingsWith({
      memorySize: "2048",
      enableEventBridge: "true",
      exiftoolOptions: '["-G1","-n"]',
      reservedConcurrency: "20",
    });
    expect(settings.memorySize).to.equal(2048);
    expect(settings.enableEventBridge).to.equal(true);
    expect(settings.exiftoolOptions).to.deep.equal(["-G1", "-n"]);
    expect(settings.reservedConcurrency).to.equal(20);
  });

  it("accepts every form the exiftool option allow-list accepts", () => {
    for (const command of commandsWithEveryForm()) {
      const settings = settingsWith({ exiftoolOptions: JSON.stringify(command) });
      expect(settings.exiftoolOptions).to.deep.equal(command);
    }
  });

  const invalid: [string, Record<string, string>, RegExp?][] = [
    ["timeout", { timeout: "901" }, /between 10 and 900/],
    ["timeout", { timeout: "6" }, /between 10 and 900/],
    [
      "exiftoolWorkers",
      { memorySize: "512", exiftoolWorkers: "4" },
      /memorySize must be at least 640, is 512/,
    ],
    ["timeout", { timeout: "1.5" }, /integer/],
    ["memorySize", { memorySize: "127" }],
    ["memorySize", { memorySize: "10241" }],
    ["maxReceiveCount", { maxReceiveCount: "0" }],
    ["filterPrefix", { filterPrefix: "uploads/*" }, /literal/],
    ["filterPrefix", { filterPrefix: "/uploads/" }, /do not start with "\/"/],
    ["filterSuffix", { filterSuffix: "*.jpg" }, /literal/],
    ["filterSuffix", { filterSuffix: ".jpg\n" }, /control characters/],
    ["ephemeralStorageSize", { ephemeralStorageSize: "511" }],
    ["batchSize", { batchSize: "11" }, /between 1 and 10\b/],
    ["maximumBatchingWindow", { maximumBatchingWindow: "301" }],
    ["maximumConcurrency", { maximumConcurrency: "1" }],
    [
      "maximumConcurrency",
      { reservedConcurrency: "5", maximumConcurrency: "10" },
      /reservedConcurrency/,
    ],
    ["reservedConcurrency", { reservedConcurrency: "0" }],
    ["nodeMajor", { nodeMajor: "23" }, /even/],
    ["baseImageDigest", { baseImageDigest: "sha256:abc" }],
    ["baseImageDigest", { baseImageDigest: "latest" }],
    ["perlSource", { perlSource: "brew" }],
    ["perlVersion", { perlSource: "source", perlSha256: "a".repeat(64) }, /stable Perl release/],
    ["perlVersion", { perlVersion: "5.43.1" }, /stable/],
    ["perlSha256", { perlSource: "source", perlVersion: "5.44.0" }, /SHA-256/],
    ["uploadBucketName", { uploadBucketName: "My_Bucket" }, /not a valid S3 bucket name/],
    [
      "resultsBucketName",
      { uploadBucketName: "shared", resultsBucketName: "shared" },
      /resultsInUploadBucket/,
    ],
    ["resultsPrefix", { resultsInUploadBucket: "true", filterPrefix: "in/" }, /folder/],
    ["resultsPrefix", { resultsBucketName: "their-results" }, /existing bucket/],
    ["resultsPrefix", { resultsBucketName: "their-results", resultsPrefix: "x" }, /folder/],
    ["filterPrefix", { resultsInUploadBucket: "true", resultsPrefix: "out/" }, /cannot exclude/],
    [
      "filterPrefix",
      { resultsInUploadBucket: "true", resultsPrefix: "in/out/", filterPrefix: "in/" },
      /overlaps/,
    ],
    ["resultsInUploadBucket", { resultsInUploadBucket: "yes" }],
    ["exiftoolOptions", { exiftoolOptions: "-G1" }, /list of strings/],
    ["exiftoolOptions", { exiftoolOptions: '["-G1\\n-execute"]' }, /line breaks/],
    ["exiftoolOptions", { exiftoolOptions: '["-TagsFromFile"]' }, /refused/],
    ["exiftoolOptions", { exiftoolOptions: '["-o", "out.json"]' }, /refused/],
    // exiftool would reject every command: refused at `pulumi preview`
    ...["xx", "zz-ZZZZ", "de-DEUX"].map((language): [string, Record<string, string>, RegExp] => [
      "exiftoolOptions",
      { exiftoolOptions: JSON.stringify(["-G1", "-lang", language]) },
      new RegExp(
        `"-lang" has an invalid value "${language}": the languages are cs, de, en, .*zh-tw$`,
      ),
    ]),
    ["exiftoolOptions", { exiftoolOptions: '["-x", "all"]' }, /it excludes every tag/],
    ["exiftoolOptions", { exiftoolOptions: '["-api", "TimeZone=:/etc/passwd"]' }, /invalid value/],
    ["exiftoolWorkers", { exiftoolWorkers: "0" }],
    ["logLevel", { logLevel: "TRACE" }],
    ["logRetentionDays", { logRetentionDays: "2" }, /one of/],
    ["ecrKeepImages", { ecrKeepImages: "0" }],
    ["alarmEmail", { alarmEmail: "ops" }, /e-mail/],
    ["eventBusName", { eventBusName: "" }],
    ["queueAgeAlarmSeconds", { queueAgeAlarmSeconds: "10" }],
  ];
  for (const [key, overrides, detail] of invalid) {
    it(`refuses ${JSON.stringify(overrides)} naming ${key}`, () => {
      const error = failure(overrides);
      expect(error.key).to.equal(key);
      expect(error.message).to.match(new RegExp(`^${PROJECT}:${key}: `));
      if (detail) expect(error.message).to.match(detail);
    });
  }

  it("allows up to 10000 records per batch only with a batching window", () => {
    expect(settingsWith({ batchSize: "500", maximumBatchingWindow: "5" }).batchSize).to.equal(500);
  });

  it("requires exiftoolVersion to equal package.json's and says how to fix it", () => {
    const error = failure({ exiftoolVersion: "13.0.0" });
    expect(error.key).to.equal("exiftoolVersion");
    expect(error.message).to.include(PACKAGE_VERSION);
    expect(error.message).to.include("npm run versions -- --write");
  });

  it("requires the pins that have no default", () => {
    const values: Record<string, string> = { exiftoolVersion: PACKAGE_VERSION };
    expect(() =>
      parseSettings((key) => values[key], { exiftoolPackageVersion: PACKAGE_VERSION }),
    ).to.throw(ConfigError, `${PROJECT}:baseImageDigest: is required`);
    expect(DEFAULTS.exiftoolVersion).to.equal(undefined);
  });

  it("accepts results in the upload bucket with a disjoint upload prefix", () => {
    const settings = settingsWith({
      resultsInUploadBucket: "true",
      resultsPrefix: "exiftool/",
      filterPrefix: "incoming/",
    });
    expect(settings.resultsInUploadBucket).to.equal(true);
  });

  it("derives a visibility timeout of at least six times the function timeout", () => {
    for (const timeout of [1, 30, 120, 900]) {
      for (const maximumBatchingWindow of [0, 20, 300]) {
        const visibility = visibilityTimeoutFor({ timeout, maximumBatchingWindow });
        expect(visibility).to.be.at.least(6 * timeout + maximumBatchingWindow);
        // SQS's ceiling for a visibility timeout is 12 hours.
        expect(visibility).to.be.at.most(43200);
      }
    }
  });

  it("makes resource prefixes from project and stack that S3 and ECR accept", () => {
    expect(resourcePrefix("dev")).to.equal("s3-exiftool-dev");
    expect(resourcePrefix("Team_Prod")).to.equal("s3-exiftool-team-prod");
    expect(resourcePrefix("a".repeat(MAX_STACK_NAME))).to.have.length(12 + MAX_STACK_NAME);
    expect(() => resourcePrefix("a".repeat(MAX_STACK_NAME + 1))).to.throw(/too long/);
  });
});

describe("infra config: releasePipeline", () => {
  const CONNECTION =
    "arn:aws:codeconnections:eu-central-1:111122223333:connection/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
  const minimal = {
    repository: "acme/s3-exiftool",
    branch: "main",
    connectionArn: CONNECTION,
    backendUrl: "s3://acme-pulumi-state",
  };
  const withRelease = (value: Record<string, unknown>): Settings =>
    settingsWith({ releasePipeline: JSON.stringify(value) });

  it("is off by default and when empty", () => {
    expect(settingsWith({}).releasePipeline).to.equal(undefined);
    expect(settingsWith({ releasePipeline: "" }).releasePipeline).to.equal(undefined);
  });

  it("takes repository, branch, connection and backend, with documented defaults", () => {
    expect(withRelease(minimal).releasePipeline).to.deep.equal({
      ...minimal,
      provider: "GitHub",
      manualApproval: false,
      schedule: "rate(1 day)",
      stack: "",
      passphraseSecret: "",
      accessTokenSecret: "",
    });
    const full = withRelease({
      ...minimal,
      repository: "group/subgroup/s3-exiftool",
      provider: "GitLab",
      manualApproval: "true",
      schedule: "cron(0 6 ? * MON *)",
      backendUrl: "https://api.pulumi.com",
      stack: "acme/s3-exiftool/prod",
      accessTokenSecret:
        "arn:aws:secretsmanager:eu-central-1:111122223333:secret:pulumi-token-AbC123",
      passphraseSecret: "s3-exiftool/passphrase",
    }).releasePipeline!;
    expect(full.manualApproval).to.equal(true);
    expect(full.provider).to.equal("GitLab");
    expect(full.stack).to.equal("acme/s3-exiftool/prod");
  });

  const invalid: [string, Record<string, unknown> | string, RegExp][] = [
    ["releasePipeline", "[1]", /must be an object/],
    ["releasePipeline", "repository: x", /must be an object/],
    ["releasePipeline.repository", { ...minimal, repository: "s3-exiftool" }, /owner\/name/],
    ["releasePipeline.repository", { ...minimal, repository: undefined }, /required/],
    ["releasePipeline.branch", { ...minimal, branch: "feature..x" }, /not a valid branch/],
    ["releasePipeline.branch", { ...minimal, branch: "has space" }, /not a valid branch/],
    [
      "releasePipeline.connectionArn",
      { ...minimal, connectionArn: "arn:aws:s3:::x" },
      /CodeConnections/,
    ],
    ["releasePipeline.provider", { ...minimal, provider: "Gitea" }, /GitHub, GitLab, Bitbucket/],
    ["releasePipeline.manualApproval", { ...minimal, manualApproval: "yes" }, /true or false/],
    ["releasePipeline.schedule", { ...minimal, schedule: "every day" }, /rate\(\.\.\.\) or cron/],
    ["releasePipeline.schedule", { ...minimal, schedule: "cron(0 6 * * *)" }, /cron/],
    ["releasePipeline.backendUrl", { ...minimal, backendUrl: "file://~/.pulumi" }, /local file/],
    [
      "releasePipeline.accessTokenSecret",
      { ...minimal, backendUrl: "https://api.pulumi.com" },
      /required/,
    ],
    [
      "releasePipeline.passphraseSecret",
      { ...minimal, passphraseSecret: "arn:aws:s3:::x" },
      /Secrets Manager/,
    ],
    ["releasePipeline.stack", { ...minimal, stack: "a b" }, /stack name/],
    ["releasePipeline.branches", { ...minimal, branches: ["main"] }, /not a setting/],
    ["releasePipeline.branch", { ...minimal, branch: 7 }, /must be a string/],
  ];
  // only what differs from the minimal config, so each title says what is wrong
  const shown = (value: Record<string, unknown> | string): string =>
    typeof value === "string"
      ? value
      : JSON.stringify(
          Object.fromEntries(
            Object.entries(value).filter(([k, v]) => (minimal as Record<string, unknown>)[k] !== v),
          ),
        );
  for (const [key, value, detail] of invalid) {
    it(`refuses ${shown(value)} naming ${key}`, () => {
      const error = failure({
        releasePipeline: typeof value === "string" ? value : JSON.stringify(value),
      });
      expect(error.key).to.equal(key);
      expect(error.message).to.match(new RegExp(`^${PROJECT}:${key.replace(".", "\\.")}: `));
      expect(error.message).to.match(detail);
    });
  }
});
