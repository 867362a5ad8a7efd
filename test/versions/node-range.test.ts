// One supported Node.js range, package.json's engines.node: the dependency
// tree accepts its lowest version, and every Node this project runs on (this
// machine, the image, CodeBuild, GitHub Actions) is inside it.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import * as semver from "semver";
import { parse } from "yaml";

const ROOT = path.join(__dirname, "..", "..");
const read = (file: string): string => readFileSync(path.join(ROOT, file), "utf8");

interface PackageJson {
  engines: { node: string };
  devDependencies: Record<string, string>;
}
interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
}

const packageJson = JSON.parse(read("package.json")) as PackageJson;
const range = packageJson.engines.node;
const lowest = semver.minVersion(range)!;

/** "FILE: MAJOR" for each YAML file in dir whose name matches, the major found by find. */
function majorsIn(dir: string, name: RegExp, find: (document: unknown) => unknown): string[] {
  return readdirSync(path.join(ROOT, dir))
    .filter((file) => name.test(file))
    .map((file) => `${dir}/${file}: ${String(find(parse(read(`${dir}/${file}`))))}`);
}

describe("the supported Node.js range (package.json engines.node)", () => {
  it("is a valid range, and the README and docs/testing.md state it", () => {
    expect(semver.validRange(range), range).to.not.equal(null);
    expect(read("README.md")).to.include(`\`${range}\``);
    expect(read("docs/testing.md")).to.include(`\`${range}\``);
  });

  it("is what this machine runs, and the code is type-checked against its lowest major", () => {
    expect(semver.satisfies(process.version, range), `${process.version} vs ${range}`).to.equal(
      true,
    );
    expect(semver.major(semver.minVersion(packageJson.devDependencies["@types/node"]!)!)).to.equal(
      lowest.major,
    );
  });

  it("every package in package-lock.json accepts its lowest version", () => {
    const lock = JSON.parse(read("package-lock.json")) as {
      packages: Record<string, LockEntry>;
    };
    const refusing = Object.entries(lock.packages).flatMap(([where, entry]) => {
      // a few old packages give engines as a list of strings, which npm ignores
      const wants = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      return wants === undefined || semver.satisfies(lowest, wants)
        ? []
        : [`${where}@${entry.version}: node ${wants}`];
    });
    expect(Object.keys(lock.packages).length).to.be.greaterThan(100);
    expect(refusing).to.deep.equal([]);
  });

  it("the image's Node, CodeBuild's and GitHub Actions' are inside it", () => {
    const nodeMajors = [
      `Dockerfile: ${/^ARG NODE_MAJOR=(\d+)$/m.exec(read("Dockerfile"))?.[1]}`,
      `Pulumi.dev.yaml: ${(parse(read("Pulumi.dev.yaml")) as { config: Record<string, unknown> }).config["s3-exiftool:nodeMajor"]}`,
      ...majorsIn(
        "release",
        /^buildspec-.*\.yml$/,
        (spec) =>
          (spec as { phases: { install: { "runtime-versions": { nodejs: unknown } } } }).phases
            .install["runtime-versions"].nodejs,
      ),
      ...readdirSync(path.join(ROOT, ".github/workflows")).flatMap((file) =>
        [...read(`.github/workflows/${file}`).matchAll(/node-version: (\S+)/g)].map(
          (match) => `.github/workflows/${file}: ${match[1]}`,
        ),
      ),
    ];
    expect(nodeMajors.length).to.be.greaterThan(5);
    const outside = nodeMajors.filter((line) => {
      const major = line.slice(line.lastIndexOf(" ") + 1);
      return !/^\d+$/.test(major) || !semver.intersects(`${major}.x`, range);
    });
    expect(outside, `outside ${range}`).to.deep.equal([]);
  });
});
