// Compares the pins with the latest answers and decides what `--write` changes.
// Only pins that moved are changed. The Node major is never moved on its own:
// a new major changes the runtime the function runs on, so it takes an
// explicit --node-major.
import type { Pins } from "./pins";
import type { Latest } from "./sources";

export type Status = "ok" | "update" | "manual" | "reference" | "unknown";

export interface Row {
  pin: string;
  current: string;
  latest: string;
  status: Status;
}

export interface Plan {
  rows: Row[];
  changes: Partial<Pins>;
  /** exiftool-vendored.pl version to install into package.json, if it moves */
  npmVersion?: string;
  notes: string[];
}

export function makePlan(
  pins: Pins,
  latest: Latest,
  packageJsonVersion: string | undefined,
  requestedMajor?: number,
): Plan {
  const rows: Row[] = [];
  const changes: Partial<Pins> = {};
  const notes: string[] = [];
  const { supported, published } = latest.nodeMajors;

  if (requestedMajor !== undefined && !supported.includes(requestedMajor)) {
    throw new Error(
      `Node.js ${requestedMajor} is not a supported Lambda base image (supported: ${supported.join(", ")})`,
    );
  }

  const row = (pin: string, current: string, next: string, status?: Status): void => {
    rows.push({
      pin,
      current,
      latest: next,
      status: status ?? (current === next ? "ok" : "update"),
    });
  };

  const exiftoolMoved =
    pins.exiftoolVersion !== latest.exiftoolVersion ||
    packageJsonVersion !== latest.exiftoolVersion;
  row(
    "exiftoolVersion",
    pins.exiftoolVersion,
    latest.exiftoolVersion,
    exiftoolMoved ? "update" : "ok",
  );
  if (pins.exiftoolVersion !== latest.exiftoolVersion)
    changes.exiftoolVersion = latest.exiftoolVersion;
  if (packageJsonVersion !== pins.exiftoolVersion) {
    notes.push(
      `package.json has ${packageJsonVersion ?? "no"} exiftool-vendored.pl; the pin says ${pins.exiftoolVersion}`,
    );
  }
  const exiftoolShort = /^\d+\.\d+/.exec(pins.exiftoolVersion)?.[0] ?? pins.exiftoolVersion;
  row("ExifTool (exiftool.org)", exiftoolShort, latest.exiftoolOrgVersion, "reference");

  const newestMajor = Math.max(...supported);
  const targetMajor = requestedMajor ?? pins.nodeMajor;
  if (requestedMajor !== undefined && requestedMajor !== pins.nodeMajor) {
    changes.nodeMajor = requestedMajor;
    row("nodeMajor", String(pins.nodeMajor), String(requestedMajor), "update");
  } else {
    row(
      "nodeMajor",
      String(pins.nodeMajor),
      String(newestMajor),
      pins.nodeMajor === newestMajor ? "ok" : "manual",
    );
    if (newestMajor > pins.nodeMajor) {
      notes.push(
        `Node.js ${newestMajor} is available: run with --node-major ${newestMajor} to move to it`,
      );
    }
    if (!supported.includes(pins.nodeMajor)) {
      notes.push(
        `Node.js ${pins.nodeMajor} is no longer rebuilt by Lambda (supported: ${supported.join(", ")})`,
      );
    }
  }
  if (latest.digestMajor !== targetMajor) {
    throw new Error(`internal: digest fetched for Node ${latest.digestMajor}, not ${targetMajor}`);
  }
  row("baseImageDigest", pins.baseImageDigest, latest.baseImageDigest);
  if (pins.baseImageDigest !== latest.baseImageDigest)
    changes.baseImageDigest = latest.baseImageDigest;

  // pinned even when perlSource=system, so switching to a source build is
  // always one config edit away from a verified tarball
  row("perlVersion", pins.perlVersion, latest.perl.version);
  if (pins.perlVersion !== latest.perl.version) changes.perlVersion = latest.perl.version;
  row("perlSha256", pins.perlSha256, latest.perl.sha256);
  if (pins.perlSha256 !== latest.perl.sha256) changes.perlSha256 = latest.perl.sha256;

  notes.push(
    `perlSource is ${pins.perlSource} (set by hand; the Perl pins are used when it is "source")`,
  );
  const unmaintained = published.filter((major) => !supported.includes(major));
  notes.push(
    `Lambda Node.js majors still rebuilt: ${supported.join(", ")}` +
      (unmaintained.length > 0 ? `; tagged but no longer rebuilt: ${unmaintained.join(", ")}` : ""),
  );

  return {
    rows,
    changes,
    npmVersion: packageJsonVersion !== latest.exiftoolVersion ? latest.exiftoolVersion : undefined,
    notes,
  };
}

export const UNREACHABLE = "unreachable";

/**
 * The pins when some sources did not answer: each pin with the latest its
 * source gave, or "unreachable". Nothing is planned from a partial answer.
 */
export function partialRows(pins: Pins, answered: Partial<Latest>): Row[] {
  const row = (pin: string, current: string, latest: string | undefined): Row => ({
    pin,
    current,
    latest: latest ?? UNREACHABLE,
    status: latest === undefined ? "unknown" : current === latest ? "ok" : "update",
  });
  const newestMajor = answered.nodeMajors
    ? String(Math.max(...answered.nodeMajors.supported))
    : undefined;
  const nodeMajor = row("nodeMajor", String(pins.nodeMajor), newestMajor);
  return [
    row("exiftoolVersion", pins.exiftoolVersion, answered.exiftoolVersion),
    {
      ...row(
        "ExifTool (exiftool.org)",
        /^\d+\.\d+/.exec(pins.exiftoolVersion)?.[0] ?? pins.exiftoolVersion,
        answered.exiftoolOrgVersion,
      ),
      status: answered.exiftoolOrgVersion === undefined ? "unknown" : "reference",
    },
    // never moved on its own, as in makePlan
    { ...nodeMajor, status: nodeMajor.status === "update" ? "manual" : nodeMajor.status },
    row("baseImageDigest", pins.baseImageDigest, answered.baseImageDigest),
    row("perlVersion", pins.perlVersion, answered.perl?.version),
    row("perlSha256", pins.perlSha256, answered.perl?.sha256),
  ];
}
