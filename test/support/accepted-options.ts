// Every form the exiftool option allow-list accepts, with representative
// values, built from the allow-list's own tables: a table entry without
// samples here fails `coverageGaps`, so a new form cannot go untested.
import {
  API_OPTIONS,
  CHARSETS,
  CHARSET_TYPES,
  FLAG_FORMS,
  LANGUAGES,
  VALUE_OPTIONS,
} from "../../function/exiftool/options";

/** Samples of each flag form, keyed by the form as FLAG_FORMS spells it. */
const FLAG_SAMPLES: Record<string, string[]> = {
  a: ["-a"],
  b: ["-b"],
  D: ["-D"],
  e: ["-e"],
  E: ["-E"],
  "ee\\d?": ["-ee", "-ee3"],
  f: ["-f"],
  "fast\\d?": ["-fast", "-fast2", "-fast5"],
  "g\\d*(:\\d+)*": ["-g", "-g1", "-g0:1:2"],
  "G\\d*(:\\d+)*": ["-G", "-G1", "-G0:1"],
  H: ["-H"],
  l: ["-l"],
  L: ["-L"],
  m: ["-m"],
  n: ["-n"],
  q: ["-q"],
  s: ["-s"],
  S: ["-S"],
  scanForXMP: ["-scanForXMP"],
  sort: ["-sort"],
  "-?struct": ["-struct", "--struct"],
  u: ["-u"],
  U: ["-U"],
  z: ["-z"],
};

/** Values of each -api option: every value of a closed set, a few of an open one. */
const API_SAMPLES: Record<string, string[]> = {
  ByteUnit: ["SI", "Binary"],
  Composite: ["0", "1"],
  Duplicates: ["0", "1"],
  ExtractEmbedded: ["0", "1", "2", "3"],
  FastScan: ["0", "1", "2", "3", "4", "5"],
  GPSQuadrant: ["NE", "sw"],
  HexTagIDs: ["0", "1"],
  IgnoreGroups: ["MakerNotes", "XMP,IPTC"],
  IgnoreMinorErrors: ["0", "1"],
  IgnoreTags: ["all", "ThumbnailImage,PreviewImage"],
  ImageHashType: ["MD5", "SHA256", "sha512"],
  KeepUTCTime: ["0", "1"],
  LargeFileSupport: ["0", "1", "2"],
  LimitLongValues: ["0", "20"],
  MissingTagValue: ["-", "n/a"],
  NoPDFList: ["0", "1"],
  QuickTimeUTC: ["0", "1"],
  RequestAll: ["0", "1", "2", "3"],
  RequestTags: ["ImageDataHash", "FileAccessDate,ImageDataMD5"],
  StrictDate: ["0", "1"],
  Struct: ["0", "1", "2"],
  StructFormat: ["JSON", "JSONQ"],
  TimeZone: ["+05:00", "EST5EDT", "CET-1CEST", "America/New_York", "UTC"],
  Unknown: ["0", "1", "2"],
  Validate: ["0", "1"],
};

/** Values of each option that takes one. */
const VALUE_SAMPLES: Record<string, string[]> = {
  "-api": [
    ...Object.entries(API_SAMPLES).flatMap(([name, values]) =>
      values.map((value) => `${name}=${value}`),
    ),
    "RequestAll",
    "largefilesupport=1",
  ],
  "-c": ["%.6f", "%d deg %d' %.2f\"", "%+.4f", "%12.99f", "%%.999f %.8f"],
  "-charset": [...CHARSETS, "UTF8", ...CHARSET_TYPES.map((type) => `${type}=Latin`), "iptc=cp1252"],
  "-d": ["%Y-%m-%d %H:%M:%S", "%s", "%Y:%m:%d %H:%M:%S%z", "plain text", "%-d.%_4m.%099Y"],
  "-lang": [...LANGUAGES, "EN-CA", "zh-TW", "DE"],
  "-password": ["secret"],
  "-sep": [",", "|", "; and;"],
  "-userParam": ["Flag", "MyParam=value", "Forced^="],
  "-x": ["EXIF:Make", "FileName", "File:all", "XMP-dc:*", "*Date", "Model#", "all#"],
};

/** Tag requests and exclusions, which match no table but a pattern. */
const TAG_SAMPLES: string[] = [
  "-EXIF:Make",
  "-Model#",
  "-all",
  "-all:all",
  "-XMP-dc:all",
  "-*Date",
  "--FileSize",
  "--EXIF:all",
  "--all",
];

export interface AcceptedForm {
  /** Forms of one group set the same exiftool setting: the last one given wins. */
  group: string;
  args: string[];
}

/** Each accepted form, as the arguments it adds to a command. */
export function acceptedForms(): AcceptedForm[] {
  return [
    ...Object.entries(FLAG_SAMPLES).flatMap(([form, flags]) =>
      flags.map((flag) => ({ group: form, args: [flag] })),
    ),
    ...Object.entries(VALUE_SAMPLES).flatMap(([option, values]) =>
      values.map((value) => ({
        group: `${option} ${settingOf(option, value)}`,
        args: [option, value],
      })),
    ),
    ...TAG_SAMPLES.map((tag) => ({ group: "tags", args: [tag] })),
  ];
}

/** Which setting an option's value changes: the API option, the charset type, or the option itself. */
function settingOf(option: string, value: string): string {
  if (option === "-api") return value.split("=")[0].toLowerCase();
  if (option === "-charset")
    return value.includes("=") ? value.split("=")[0].toLowerCase() : "exiftool";
  return "";
}

/**
 * Commands that together contain every form: the n-th command takes the
 * n-th form of each group, so no form is overridden by another of its group.
 */
export function commandsWithEveryForm(): string[][] {
  const groups = new Map<string, string[][]>();
  for (const { group, args } of acceptedForms())
    groups.set(group, [...(groups.get(group) ?? []), args]);
  const longest = Math.max(...[...groups.values()].map((forms) => forms.length));
  return Array.from({ length: longest }, (_, n) =>
    [...groups.values()].flatMap((forms) => forms[n] ?? []),
  );
}

/** Allow-list entries that have no samples here, and samples of entries it no longer has. */
export function coverageGaps(): string[] {
  const gaps = (table: string, listed: readonly string[], sampled: Record<string, string[]>) => [
    ...listed.filter((key) => !sampled[key]?.length).map((key) => `${table} ${key}: no samples`),
    ...Object.keys(sampled)
      .filter((key) => !listed.includes(key))
      .map((key) => `${table} ${key}: not in the allow-list`),
  ];
  return [
    ...gaps("flag", FLAG_FORMS, FLAG_SAMPLES),
    ...gaps("option", Object.keys(VALUE_OPTIONS), VALUE_SAMPLES),
    ...gaps("-api", Object.keys(API_OPTIONS), API_SAMPLES),
  ];
}
