// Allow-list of the exiftool options callers may pass. Each accepted argument
// becomes one line of exiftool's -stay_open argument stream, so an option
// that writes or reads other files, runs Perl code or changes the output
// format is refused here, with a message that says why.

export class OptionError extends Error {
  override readonly name = "OptionError";
}

/** Options that take no value (case matters where exiftool's does: -g/-G, -e/-E, -u/-U). */
const FLAGS =
  /^-(a|e|ee\d?|E|f|D|H|L|l|m|n|q|s|S|u|U|z|b|-?struct|sort|fast\d?|scanForXMP|g\d*(:\d+)*|G\d*(:\d+)*)$/;

/** Options followed by one value, with the shape the value must have. */
const WITH_VALUE: Record<string, RegExp> = {
  "-api": /^[A-Za-z]+(=.*)?$/,
  "-c": /^.+$/,
  "-d": /^.+$/,
  "-charset": /^(\w+=)?\w[\w-]*$/,
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

const TAG = /^--?(\w[\w-]*:)*[\w?*][\w?*-]*#?$/;

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

    const valueShape = WITH_VALUE[arg];
    if (valueShape) {
      const value = args[++i];
      if (value === undefined) throw new OptionError(`ExifTool option "${arg}" needs a value`);
      if (
        /[\r\n\0]/.test(value) ||
        value !== value.trim() ||
        value.startsWith("#") ||
        value.includes(MINUS_SIGN) ||
        // a value exiftool might read as an option instead
        (value.startsWith("-") && arg !== "-listItem") ||
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
