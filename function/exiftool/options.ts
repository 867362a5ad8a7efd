// Allow-list of the exiftool options callers may pass. Each accepted argument
// becomes one line of exiftool's argument stream, so an option that writes or
// reads other files, runs Perl code or changes the output format is refused
// here, with a message that says why; and an option's value must be one
// exiftool accepts, since a command exiftool rejects fails every object.

export class OptionError extends Error {
  override readonly name = "OptionError";
}

/**
 * Options that take no value, as regular-expression forms of the name after
 * "-" (case matters where exiftool's does: -g/-G, -e/-E, -u/-U).
 */
export const FLAG_FORMS: readonly string[] = [
  "a",
  "b",
  "D",
  "e",
  "E",
  "ee\\d?",
  "f",
  "fast\\d?",
  "g\\d*(:\\d+)*",
  "G\\d*(:\\d+)*",
  "H",
  "l",
  "L",
  "m",
  "n",
  "q",
  "s",
  "S",
  "scanForXMP",
  "sort",
  "-?struct",
  "u",
  "U",
  "z",
];
const FLAGS = new RegExp(`^-(${FLAG_FORMS.join("|")})$`);

/**
 * ExifTool's languages (@Image::ExifTool::langs of the pinned release; a
 * test checks this list against it). exiftool reads "-lang EN-CA" as en_ca;
 * any other value makes it reject the whole command.
 */
export const LANGUAGES: readonly string[] = [
  "cs",
  "de",
  "en",
  "en_ca",
  "en_gb",
  "es",
  "fi",
  "fr",
  "it",
  "ja",
  "ko",
  "nl",
  "pl",
  "ru",
  "sk",
  "sv",
  "tr",
  "zh_cn",
  "zh_tw",
];

/**
 * The character set names ExifTool knows (keys of %Image::ExifTool::charsetName,
 * checked by a test); exiftool ignores any other with a warning.
 */
export const CHARSETS: readonly string[] = [
  "arabic",
  "baltic",
  "cp10000",
  "cp10006",
  "cp10007",
  "cp10010",
  "cp10029",
  "cp10079",
  "cp10081",
  "cp10082",
  "cp1250",
  "cp1251",
  "cp1252",
  "cp1253",
  "cp1254",
  "cp1255",
  "cp1256",
  "cp1257",
  "cp1258",
  "cp437",
  "cp65001",
  "cp850",
  "cp866",
  "cp874",
  "cyrillic",
  "doscyrillic",
  "doslatin1",
  "doslatinus",
  "greek",
  "hebrew",
  "latin",
  "latin1",
  "latin2",
  "mac",
  "maccroatian",
  "maccyrillic",
  "macgreek",
  "maciceland",
  "maclatin2",
  "macroman",
  "macromanian",
  "macturkish",
  "roman",
  "russian",
  "thai",
  "turkish",
  "utf-8",
  "utf8",
  "vietnam",
];

/** What "-charset TYPE=NAME" may set besides exiftool's own output charset (exiftool's list). */
export const CHARSET_TYPES: readonly string[] = [
  "exiftool",
  "exif",
  "filename",
  "id3",
  "iptc",
  "photoshop",
  "quicktime",
  "riff",
];

const FLAG_VALUE = /^[01]$/;
/** Tag names as the list-valued API options take them, comma- or space-separated. */
const TAG_LIST = /^[\w?*:#-]+([ ,]+[\w?*:#-]+)*$/;
/**
 * A time zone that can only name a file of the system's time zone directory:
 * an offset (+05:00), a POSIX name (EST5EDT, CET-1CEST) or an ID
 * (America/New_York). Never ":PATH", "/PATH" or "..", with which the C
 * library would read a file of the caller's choosing.
 */
const TIME_ZONE =
  /^([+-]\d{1,2}(:\d{2})?|[A-Za-z]{3,}[+-]?\d{1,2}(:\d{2}){0,2}([A-Za-z]{3,}([+-]?\d{1,2}(:\d{2}){0,2})?)?|[A-Za-z][\w+-]*(\/[A-Za-z][\w+-]*){0,2})$/;

/**
 * `-api NAME=VALUE` options that only change what is read from the object or
 * how it is printed, with the values each accepts ("-api NAME" alone means
 * NAME=1). Every other API option is refused: among them Filter and
 * GlobalTimeShift evaluate Perl, Geolocation and GeoDir read databases from
 * paths, TextOut, HtmlDump, Verbose and PrintCSV write other output,
 * XAttrTags, MDItemTags and SystemTags query the file system, NoWarning is a
 * regular expression, and the rest only matter when writing.
 */
export const API_OPTIONS: Readonly<Record<string, RegExp>> = {
  ByteUnit: /^(SI|Binary)$/i,
  Composite: FLAG_VALUE,
  Duplicates: FLAG_VALUE,
  ExtractEmbedded: /^[0-3]$/,
  FastScan: /^[0-5]$/,
  GPSQuadrant: /^[NS][EW]$/i,
  HexTagIDs: FLAG_VALUE,
  IgnoreGroups: TAG_LIST,
  IgnoreMinorErrors: FLAG_VALUE,
  IgnoreTags: TAG_LIST,
  ImageHashType: /^(MD5|SHA256|SHA512)$/i,
  KeepUTCTime: FLAG_VALUE,
  LargeFileSupport: /^[012]$/,
  LimitLongValues: /^\d{1,6}$/,
  MissingTagValue: /^.+$/,
  NoPDFList: FLAG_VALUE,
  QuickTimeUTC: FLAG_VALUE,
  RequestAll: /^[0-3]$/,
  RequestTags: TAG_LIST,
  StrictDate: FLAG_VALUE,
  Struct: /^[012]$/,
  StructFormat: /^(JSON|JSONQ)$/i,
  TimeZone: TIME_ZONE,
  Unknown: /^[012]$/,
  Validate: FLAG_VALUE,
};
const API_NAMES = new Map(Object.keys(API_OPTIONS).map((name) => [name.toLowerCase(), name]));

/** Why a value is refused, or undefined when it is fine. */
type ValueCheck = (value: string) => string | undefined;

const shape =
  (pattern: RegExp): ValueCheck =>
  (value) =>
    pattern.test(value) ? undefined : "";

function language(value: string): string | undefined {
  // exiftool's own reading: lower case, "-" for "_"
  if (LANGUAGES.includes(value.toLowerCase().replace(/-/g, "_"))) return undefined;
  return `: the languages are ${LANGUAGES.map((code) => code.replace("_", "-")).join(", ")}`;
}

function charset(value: string): string | undefined {
  const equals = value.indexOf("=");
  const [type, name] =
    equals < 0 ? ["exiftool", value] : [value.slice(0, equals), value.slice(equals + 1)];
  if (!CHARSET_TYPES.includes(type.toLowerCase())) {
    return `: the types are ${CHARSET_TYPES.join(", ")}`;
  }
  if (!CHARSETS.includes(name.toLowerCase()))
    return `: the character sets are ${CHARSETS.join(", ")}`;
  return undefined;
}

const TAG_NAME = /^(\w[\w-]*:)*[\w?*][\w?*-]*#?$/;

function exclusion(value: string): string | undefined {
  if (!TAG_NAME.test(value)) return "";
  // exiftool reads "all" as "*" here and, when every tag is excluded, prints
  // no JSON at all, only "All tags excluded -- nothing to do."
  if (/^(\*:)?\*$/.test(value.replace(/\ball\b/gi, "*"))) {
    return ": it excludes every tag, and exiftool then prints no JSON";
  }
  return undefined;
}

function apiOption(value: string): string | undefined {
  const match = /^([A-Za-z]+)(=(.*))?$/.exec(value);
  if (!match) return "";
  const name = API_NAMES.get(match[1].toLowerCase());
  if (name === undefined) {
    return `: API option "${match[1]}" is not allowed (allowed: ${[...API_NAMES.values()].join(", ")})`;
  }
  if (!API_OPTIONS[name].test(match[3] ?? "1")) {
    return `: API option "${name}" takes a value matching /${API_OPTIONS[name].source}/`;
  }
  return undefined;
}

/** Largest width or precision of a conversion in a format option. */
export const MAX_FORMAT_WIDTH = 99;

/**
 * A printf (-c) or strftime (-d) format whose conversions each have a width
 * and a precision of at most MAX_FORMAT_WIDTH, as -lang and -x are bounded:
 * with "%.999999999f" Perl would print a billion digits per coordinate (every
 * object with GPS fails on memory), and glibc's strftime gives up on
 * "%999999999Y", leaving every date empty.
 */
function format(value: string): string | undefined {
  // "%%" is a literal percent sign, not a conversion
  for (const [, spec] of value.matchAll(/%(%|[^A-Za-z%]*)/g)) {
    if (spec === "%") continue;
    const widest = Math.max(0, ...(spec.match(/\d+/g) ?? []).map(Number));
    if (widest > MAX_FORMAT_WIDTH) {
      return `: a width or precision of ${widest} in "%${spec}" (at most ${MAX_FORMAT_WIDTH})`;
    }
  }
  return undefined;
}

/** Options followed by one value, with what the value must be. */
export const VALUE_OPTIONS: Readonly<Record<string, ValueCheck>> = {
  "-api": apiOption,
  "-c": format,
  "-charset": charset,
  "-d": format,
  "-lang": language,
  "-password": shape(/^.+$/),
  "-sep": shape(/^.+$/),
  "-userParam": shape(/^\w+\^?=.*$|^\w+$/),
  "-x": exclusion,
};

/**
 * Options refused for what they do, whatever their value. Long names are
 * case-insensitive in exiftool; single letters are not (-p prints with Perl
 * expressions, -P only preserves dates; -x excludes a tag, -X prints XML).
 */
const WRITES = "it writes files or reads files other than the object";
const RUNS_CODE = "it evaluates expressions (Perl code)";
const FORMAT = "it changes the output format or the protocol; results are always exiftool -json";
const REFUSED: [RegExp, string][] = [
  [
    /^-(out|textOut|tagOut|(add|all)?tagsFromFile|file\d+|args|argFormat|fixBase[-+]?\d*|purge\d*|require|config|srcfile|geotag|geosync|geolocate|efile\d*!?|delete_original!?|restore_original|overwrite_original(_in_place)?|diff|ext|extension|recurse|ignore|fileOrder\d?|use|writeMode|wext|preserve|pause|plot|htmlDump\d*)$/i,
    WRITES,
  ],
  [/^-(o|w!?\+?|W!?\+?|@|r|i|wm|P|k)$/, WRITES],
  [/^-(if\d*|printFormat|globalTimeShift)$/i, RUNS_CODE],
  [/^-p$/, RUNS_CODE],
  [
    /^-(json|xmlFormat|php|csv|htmlFormat|tab|table|verbose\d*|progress\d*:?|echo\d*|execute\d*|stay_open|common_args|list\w*|ver|validate)$/i,
    FORMAT,
  ],
  [/^-(j|X|h|t|T|v\d*)$/, FORMAT],
];

/**
 * How exiftool 13 recognises its options (the name after one "-",
 * case-insensitive), taken from its own argument parser: an argument that
 * matches is an option, whatever it looks like, so it can never pass as a
 * tag request. Single letters are all options or reserved.
 */
const OPTION_PATTERNS: RegExp[] = [
  /^.?$/,
  /^(@|a|duplicates|b|binary|api|charset|composite|dateformat|decimal|ec|eh|escapec|escapehtml|escapexml|ex|exclude|forceprint|geotag|geosync|geolocate|globaltimeshift|hex|htmlformat|lang|latin|listitem|long|nop|overwrite_original|overwrite_original_in_place|password|php|plot|preserve|require|restore_original|scanforxmp|srcfile|stay_open|table|use|userparam|ver|veryshort|wm|writemode|xmlformat|struct|sort|list_dir|common_args|config|csvdelim|diff|validate|wext|ext|extension|tagoutext)-?!?$/i,
  /^(all|add)?tagsfromfile(=.*)?$/i,
  /^(csv|j(son)?)(\+?=.*)?$/i,
  /^(ee|extractembedded)\d*$/i,
  /^file\d+$/i,
  /^g(roupheadings|roupnames)?[\d:]*$/i,
  /^(k|pause|m|ignoreminorerrors|n|-printconv|printconv)$/i,
  /^u(nknown2?)?$/i,
  /^(w|textout|tagout)[!+]*$/i,
  /^-?execute\d*$/i,
  /^f[-+]?\d*$/i,
  /^arg(s|format)$/i,
  /^c(oordformat)?$/i,
  /^delete_original!?$/i,
  /^echo\d?$/i,
  /^efile\d*!?$/i,
  /^fast\d*$/i,
  /^fileorder\d*$/i,
  /^fixbase[-+]?\d*$/i,
  /^htmldump[-+]?\d*$/i,
  /^i(gnore)?$/i,
  /^if\d*$/i,
  /^list([wfrdx]|wf|g\d*|geo)?$/i,
  /^o(ut)?$/i,
  /^p(rintformat)?-?$/i,
  /^progress\d*(:.*)?$/i,
  /^purge\d*$/i,
  /^q(uiet)?$/i,
  /^r(ecurse)?\.?$/i,
  /^s(hort)?\d*$/i,
  /^sep(arator)?$/i,
  /^t(ab)?$/i,
  /^v(erbose)?\d*$/i,
  /^z(ip)?$/i,
];

/** exiftool reads U+2212 MINUS SIGN as "-" (for text pasted from its man page). */
const MINUS_SIGN = "\u2212";

function refusal(arg: string): string | undefined {
  if (/^-.*[=<>]/.test(arg)) {
    return `ExifTool argument "${arg}" is refused: it would write tags or import them from a file`;
  }
  const found = REFUSED.find(([pattern]) => pattern.test(arg));
  return found && `ExifTool option "${arg}" is refused: ${found[1]}`;
}

/**
 * exiftool strips one dash and then accepts some options with a second one
 * (`--ext`, `--struct`, `--binary`): a name is an option in either reading.
 */
function isOptionName(arg: string): boolean {
  const names = [arg.slice(1), arg.replace(/^-+/, "")];
  return names.some((name) => OPTION_PATTERNS.some((pattern) => pattern.test(name)));
}

/**
 * Checks caller-supplied exiftool options and returns them unchanged, or
 * throws an OptionError naming the first one refused.
 */
export function validateExiftoolOptions(args: readonly string[]): string[] {
  const accepted: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== "string" || arg.length === 0) {
      throw new OptionError(`ExifTool option #${i + 1} is empty or not a string`);
    }
    if (arg.includes(MINUS_SIGN)) {
      throw new OptionError(
        `ExifTool option ${JSON.stringify(arg)} has a U+2212 minus sign, which exiftool reads as "-"`,
      );
    }
    if (/[\r\n\0]/.test(arg) || arg !== arg.trim()) {
      throw new OptionError(
        `ExifTool option ${JSON.stringify(arg)} has line breaks or edge spaces`,
      );
    }
    const refused = refusal(arg);
    if (refused) throw new OptionError(refused);

    const check = Object.hasOwn(VALUE_OPTIONS, arg) ? VALUE_OPTIONS[arg] : undefined;
    if (check) {
      const value = args[++i];
      if (value === undefined) throw new OptionError(`ExifTool option "${arg}" needs a value`);
      const why =
        /[\r\n\0]/.test(value) ||
        value !== value.trim() ||
        value.startsWith("#") ||
        value.includes(MINUS_SIGN) ||
        // a value exiftool might read as an option instead
        value.startsWith("-")
          ? ""
          : check(value);
      if (why !== undefined) {
        throw new OptionError(
          `ExifTool option "${arg}" has an invalid value ${JSON.stringify(value)}${why}`,
        );
      }
      accepted.push(arg, value);
      continue;
    }
    if (FLAGS.test(arg)) {
      accepted.push(arg);
      continue;
    }
    // a tag request (-TAG) or exclusion (--TAG)
    if (arg.startsWith("-") && TAG_NAME.test(arg.replace(/^--?/, "")) && !isOptionName(arg)) {
      accepted.push(arg);
      continue;
    }
    if (!arg.startsWith("-")) {
      throw new OptionError(`"${arg}" is not an option: file names cannot be passed to ExifTool`);
    }
    throw new OptionError(`ExifTool option "${arg}" is unknown or not allowed`);
  }
  return accepted;
}
