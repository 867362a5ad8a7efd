// Allow-list of the exiftool options callers may pass. Each accepted argument
// becomes one line of exiftool's -stay_open argument stream, so an option
// that writes or reads other files, runs Perl code or changes the output
// format is refused here, with a message that says why.

export class OptionError extends Error {
  override readonly name = "OptionError";
}

/** Options that take no value (case matters where exiftool's does: -g/-G, -e/-E, -u/-U). */
const FLAGS =
  /^-(a|e|ee\d?|E|f|D|H|L|l|m|n|q|s|S|u|U|z|b|struct-?|sort-?|fast\d?|scanForXMP|g\d*(:\d+)*|G\d*(:\d+)*)$/;

/** Options followed by one value, with the shape the value must have. */
const WITH_VALUE: Record<string, RegExp> = {
  "-api": /^[A-Za-z]+(=.*)?$/,
  "-c": /^.+$/,
  "-d": /^.+$/,
  "-charset": /^([A-Za-z]+=)?[\w-]+$/,
  "-lang": /^[A-Za-z]{2}(-[A-Za-z]{2,4})?$/,
  "-sep": /^.+$/,
  "-x": /^(\w[\w-]*:)*[\w?*][\w?*-]*#?$/,
  "-password": /^.+$/,
  "-userParam": /^\w+[\^]?=.*$|^\w+$/,
  "-listItem": /^-?\d+$/,
};

/** `-api` names that only change what is read or how it is printed. */
const API_NAMES = new Set(
  [
    "ByteUnit",
    "Compact",
    "Duplicates",
    "ExtractEmbedded",
    "IgnoreTags",
    "ImageHashType",
    "KeepUTCTime",
    "LargeFileSupport",
    "LimitLongValues",
    "MissingTagValue",
    "NoPDFList",
    "QuickTimeUTC",
    "RequestAll",
    "RequestTags",
    "StrictDate",
    "Struct",
    "TimeZone",
    "Unknown",
    "Validate",
  ].map((name) => name.toLowerCase()),
);

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
    /^-(out|textOut|tagOut|tagsFromFile|config|srcfile|geotag|geosync|geolocate|efile\d*!?|delete_original!?|restore_original|overwrite_original(_in_place)?|diff|ext|extension|recurse|ignore|fileOrder\d?|use|writeMode|wext|preserve|pause|plot|htmlDump\d*)$/i,
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

/** Every exiftool option name (lower case), so a tag request never aliases one. */
const OPTION_NAMES = new Set(
  (
    "@ a api b binary c coordformat charset config csv csvdelim d dateformat decimal delete_original diff " +
    "e escapehtml ee extractembedded echo efile escapexml execute ext extension f forceprint fast fileorder " +
    "g groupheadings groupnames geotag geosync geolocate globaltimeshift h htmlformat hex htmldump i ignore if " +
    "j json k pause l long latin lang listitem list listw listf listr listwf listg listd listx listgeo m " +
    "ignoreminorerrors n printconv o out overwrite_original overwrite_original_in_place p printformat " +
    "preserve password plot progress q quiet r recurse restore_original s short veryshort sep separator sort " +
    "srcfile stay_open struct t tab table tagsfromfile u unknown unknown2 use userparam v verbose validate " +
    "ver w textout tagout wm writemode wext x xmlformat exclude z zip common_args php scanforxmp"
  ).split(" "),
);

const TAG = /^--?(\w[\w-]*:)*[\w?*][\w?*-]*#?$/;

function refusal(arg: string): string | undefined {
  if (/^-.*[=<>]/.test(arg)) {
    return `ExifTool argument "${arg}" is refused: it would write tags or import them from a file`;
  }
  const found = REFUSED.find(([pattern]) => pattern.test(arg));
  return found && `ExifTool option "${arg}" is refused: ${found[1]}`;
}

function isOptionName(arg: string): boolean {
  const name = arg.replace(/^--?/, "").toLowerCase();
  return OPTION_NAMES.has(name) || OPTION_NAMES.has(name.replace(/[\d!+:]+$/, ""));
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
    if (/[\r\n\0]/.test(arg) || arg !== arg.trim()) {
      throw new OptionError(
        `ExifTool option ${JSON.stringify(arg)} has line breaks or edge spaces`,
      );
    }
    const refused = refusal(arg);
    if (refused) throw new OptionError(refused);

    const valueShape = WITH_VALUE[arg];
    if (valueShape) {
      const value = args[++i];
      if (value === undefined) throw new OptionError(`ExifTool option "${arg}" needs a value`);
      if (
        /[\r\n\0]/.test(value) ||
        value !== value.trim() ||
        value.startsWith("#") ||
        !valueShape.test(value)
      ) {
        throw new OptionError(
          `ExifTool option "${arg}" has an invalid value ${JSON.stringify(value)}`,
        );
      }
      if (arg === "-api" && !API_NAMES.has(value.split("=")[0].toLowerCase())) {
        throw new OptionError(
          `ExifTool API option "${value.split("=")[0]}" is not allowed (allowed: ${[...API_NAMES].join(", ")})`,
        );
      }
      accepted.push(arg, value);
      continue;
    }
    if (FLAGS.test(arg)) {
      accepted.push(arg);
      continue;
    }
    if (TAG.test(arg) && !isOptionName(arg)) {
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
