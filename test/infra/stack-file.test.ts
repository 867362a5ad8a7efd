// Stack files as users edit them: typos, YAML mistakes, and the cheap
// `npm run check-config` that reports them without building anything.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CONFIG_KEYS, ConfigError, PROJECT } from "../../infra/config";
import { StackFileError, stackSettings } from "../../infra/stack-file";
import { checkKnownKeys, closestKey } from "../../infra/unknown-keys";
import { checkConfig } from "../../commands/check-config";
import { ROOT } from "./stack-config";

const DEV = readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");

function captured() {
  let text = "";
  return { write: (chunk: string) => (text += chunk), text: () => text };
}

describe("stack files", () => {
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), "s3-exiftool-stack-"));
    copyFileSync(path.join(ROOT, "package.json"), path.join(root, "package.json"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const stackFile = (stack: string, text: string): string => {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    writeFileSync(file, text);
    return file;
  };
  const check = async (stack: string) => {
    const stdout = captured();
    const stderr = captured();
    const code = await checkConfig(["--stack", stack], root, {
      out: stdout.write,
      err: stderr.write,
    });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };

  it("names the closest known key, case and typos alike", () => {
    expect(closestKey("batchsize", CONFIG_KEYS)).to.equal("batchSize");
    expect(closestKey("memorySzie", CONFIG_KEYS)).to.equal("memorySize");
    expect(closestKey("loglevel", CONFIG_KEYS)).to.equal("logLevel");
  });

  it("refuses a misspelled key, naming it, its closest key and the file", () => {
    const file = stackFile("typo", DEV.replace(`${PROJECT}:batchSize:`, `${PROJECT}:batchsize:`));
    expect(() => stackSettings(root, "typo"))
      .to.throw(ConfigError)
      .with.property(
        "message",
        `${PROJECT}:batchsize: unknown key in ${file}; did you mean ${PROJECT}:batchSize?`,
      );
  });

  it("names every unknown key, and leaves other namespaces to their providers", () => {
    expect(() =>
      checkKnownKeys(
        ["aws:region", `${PROJECT}:timeOut`, `${PROJECT}:batchSize`, `${PROJECT}:logLvl`],
        CONFIG_KEYS,
        "Pulumi.x.yaml",
      ),
    ).to.throw(
      `${PROJECT}:timeOut: unknown key in Pulumi.x.yaml; did you mean ${PROJECT}:timeout?` +
        `; also unknown: ${PROJECT}:logLvl (did you mean ${PROJECT}:logLevel?)`,
    );
    const known = () => checkKnownKeys(["aws:region", `${PROJECT}:batchSize`], CONFIG_KEYS, "f");
    expect(known).not.to.throw();
  });

  it("names the file and the line of a YAML syntax error", () => {
    const file = stackFile(
      "broken",
      DEV.replace(`${PROJECT}:timeout: 120`, `${PROJECT}:timeout: [120`),
    );
    expect(() => stackSettings(root, "broken"))
      .to.throw(StackFileError)
      .with.property("message")
      .that.includes(`${file} is not valid YAML`)
      .and.matches(/line \d+/);
  });

  it("refuses a config section that is not a mapping, naming the file", () => {
    const file = stackFile("list", "config:\n  - a\n");
    expect(() => stackSettings(root, "list")).to.throw(StackFileError, `${file}: "config"`);
  });

  it("check-config: a valid stack file exits 0 and says so", async () => {
    stackFile("good", DEV);
    const result = await check("good");
    expect(result).to.deep.include({ code: 0, stderr: "" });
    expect(result.stdout).to.include("Pulumi.good.yaml: valid");
  });

  it("check-config: a bad key exits 2 naming the key and the file", async () => {
    const file = stackFile("bad", `${DEV}  ${PROJECT}:memorySzie: 2048\n`);
    const result = await check("bad");
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include(`${PROJECT}:memorySzie: unknown key in ${file}`);
    expect(result.stderr).to.include(`did you mean ${PROJECT}:memorySize?`);
  });

  it("check-config: a bad value exits 2 naming the key", async () => {
    stackFile("slow", DEV.replace(`${PROJECT}:timeout: 120`, `${PROJECT}:timeout: 901`));
    const result = await check("slow");
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include(`${PROJECT}:timeout: must be between 10 and 900`);
  });

  it("check-config: a missing stack or stray arguments exit 2", async () => {
    const absent = await check("absent");
    expect(absent.code).to.equal(2);
    expect(absent.stderr).to.include("no stack file");
    const stderr = captured();
    expect(await checkConfig(["dev"], root, { out: () => undefined, err: stderr.write })).to.equal(
      2,
    );
    expect(stderr.text()).to.include("Unexpected argument 'dev'");
    expect(stderr.text()).to.include("usage:");
  });

  it("check-config: names every mistake in one run, and warns of keys the project would not read", async () => {
    const text = DEV.replace(`${PROJECT}:timeout: 120`, `${PROJECT}:timeout: 901`)
      .replace(`${PROJECT}:memorySize: 1024`, `${PROJECT}:memorySize: 1`)
      .concat(
        `  ${PROJECT}:memorySzie: 2048\n  batchSize: 100\n  aws:regoin: eu-west-1\n  aws:region: eu-west-1\n`,
      );
    stackFile("many", text);
    const result = await check("many");
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include(`${PROJECT}:memorySzie: unknown key`);
    expect(result.stderr).to.include(`${PROJECT}:timeout: must be between 10 and 900`);
    expect(result.stderr).to.include(`${PROJECT}:memorySize: must be between`);
    expect(result.stderr).to.include("3 mistakes");
    expect(result.stderr).to.include(`warning: batchSize has no namespace`);
    expect(result.stderr).to.include(`did you mean ${PROJECT}:batchSize?`);
    expect(result.stderr).to.include(
      "warning: aws:regoin is not a setting of the aws provider; did you mean aws:region?",
    );
    expect(result.stderr).to.not.include("aws:region is");
  });

  it("npm run check-config validates the shipped dev stack without building", () => {
    const run = spawnSync("npm", ["run", "-s", "check-config", "--", "--stack", "dev"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(run.stderr).to.equal("");
    expect(run.stdout).to.include("Pulumi.dev.yaml: valid");
    expect(run.status).to.equal(0);
  });
});

describe("stack files and the linters", () => {
  it("Prettier (npm run lint) skips every Pulumi.<stack>.yaml but checks Pulumi.yaml", async () => {
    const prettier = await import("prettier");
    const ignorePath = path.join(ROOT, ".prettierignore");
    const ignored = async (name: string) =>
      (await prettier.getFileInfo(path.join(ROOT, name), { ignorePath })).ignored;
    expect(await ignored("Pulumi.prod.yaml")).to.equal(true);
    expect(await ignored("Pulumi.dev.yaml")).to.equal(true);
    expect(await ignored("Pulumi.yaml")).to.equal(false);
    expect(await ignored("infra/stack-file.ts")).to.equal(false);
  });
});
