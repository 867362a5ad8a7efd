import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect } from "chai";
import { exiftoolPath, perlPath } from "../../function/exiftool/locate";
import {
  API_OPTIONS,
  CHARSETS,
  CHARSET_TYPES,
  LANGUAGES,
  validateExiftoolOptions,
} from "../../function/exiftool/options";

/** A list the pinned ExifTool library prints, one item a line. */
function exiftoolList(perlExpression: string): string[] {
  const lib = join(dirname(exiftoolPath()), "lib");
  const script = `print "$_\\n" foreach ${perlExpression}`;
  return execFileSync(perlPath(), [`-I${lib}`, "-MImage::ExifTool", "-e", script], {
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean);
}

describe("exiftool option allow-list tables", () => {
  it("lists ExifTool's own languages", () => {
    expect(LANGUAGES).to.deep.equal(exiftoolList("@Image::ExifTool::langs"));
  });

  it("lists the character set names ExifTool knows", () => {
    expect(CHARSETS).to.deep.equal(exiftoolList("sort keys %Image::ExifTool::charsetName"));
  });

  it("lists the metadata types exiftool's -charset TYPE=NAME knows", () => {
    // exiftool's own table of them, in its -charset handler
    const source = readFileSync(exiftoolPath(), "utf8");
    const table = /my \$type = \{([^}]*)\}->\{lc \$1\}/.exec(source)?.[1] ?? "";
    const types = [...table.matchAll(/(\w+)\s*=>/g)].map((match) => match[1]);
    expect(types).to.have.length.above(3);
    expect(CHARSET_TYPES).to.have.members(["exiftool", ...types]);
  });

  it("allows only API options that ExifTool has", () => {
    const available = exiftoolList("map $$_[0], @{Image::ExifTool::AvailableOptions()}");
    expect(available).to.include("TimeZone");
    expect(Object.keys(API_OPTIONS).filter((name) => !available.includes(name))).to.deep.equal([]);
  });
});

describe("exiftool option allow-list", () => {
  it("accepts exclusions of tags with a double dash, and --struct", () => {
    expect(validateExiftoolOptions(["--Comment", "--EXIF:Make", "--struct"])).to.have.length(3);
  });

  it("accepts reading and formatting options and tag requests", () => {
    const args = [
      "-G1",
      "-a",
      "-n",
      "-ee",
      "-u",
      "-api",
      "LargeFileSupport=1",
      "-x",
      "EXIF:Make",
      "-EXIF:all",
      "--FileSize",
      "-Model#",
      "-d",
      "%Y-%m-%d",
      "-lang",
      "de",
    ];
    expect(validateExiftoolOptions(args)).to.deep.equal(args);
  });

  const refused: [string[], RegExp][] = [
    [["-o", "x.json"], /"-o" is refused: it writes files or reads files other than the object/],
    [["-w", "txt"], /"-w" is refused/],
    [["-tagsFromFile", "/etc/passwd"], /"-tagsFromFile" is refused/],
    [["-@", "args.txt"], /"-@" is refused/],
    [["-config", "x.pl"], /"-config" is refused/],
    [["-srcfile", "%d%f.xmp"], /"-srcfile" is refused/],
    [["-geotag", "track.gpx"], /"-geotag" is refused/],
    [["-if", "$Make"], /"-if" is refused: it evaluates expressions/],
    [["-p", "${Make;system('id')}"], /"-p" is refused: it evaluates expressions/],
    [["-api", "Filter=s/a/b/"], /API option "Filter" is not allowed/],
    [["-api", "GlobalTimeShift=1"], /API option "GlobalTimeShift" is not allowed/],
    [["-api", "Geolocation=/tmp"], /API option "Geolocation" is not allowed/],
    [["-api", "GeoDir=/tmp"], /API option "GeoDir" is not allowed/],
    [["-api", "TextOut=x"], /API option "TextOut" is not allowed/],
    [["-api", "NoWarning=.*"], /API option "NoWarning" is not allowed/],
    [["-api", "SystemTags"], /API option "SystemTags" is not allowed/],
    // the C library reads TZ=":PATH", "/PATH" and names with ".." as files
    [["-api", "TimeZone=:/etc/passwd"], /"-api" has an invalid value .*TimeZone/],
    [["-api", "TimeZone=/etc/passwd"], /"-api" has an invalid value/],
    [["-api", "TimeZone=../../../etc/passwd"], /"-api" has an invalid value/],
    [["-api", "TimeZone"], /"-api" has an invalid value/],
    [
      ["-api", "Unknown=3"],
      /"-api" has an invalid value "Unknown=3": API option "Unknown" takes a value matching \/\^\[012\]\$\/$/,
    ],
    [["-api", "ByteUnit=kB"], /"-api" has an invalid value/],
    [["-api", "ImageHashType=CRC32"], /"-api" has an invalid value/],
    [["-api", "RequestTags=a;b"], /"-api" has an invalid value/],
    [["-api", "Compact=1"], /API option "Compact" is not allowed/],
    [["-json=x.json"], /would write tags or import them from a file/],
    [["-Make=Evil"], /would write tags/],
    [["-X"], /changes the output format/],
    [["-stay_open", "True"], /changes the output format or the protocol/],
    [["-execute"], /changes the output format or the protocol/],
    [["/etc/passwd"], /file names cannot be passed to ExifTool/],
    [["-G1\n-o"], /line breaks/],
    [["-d"], /needs a value/],
    [["-x", "-o"], /invalid value/],
    [["-verbose"], /changes the output format/],
    // an option that takes the next argument as a file must never pass as a tag
    [["-file1", "-sep", "/etc/passwd"], /"-file1" is refused: it writes files or reads files/],
    [["-FILE2", "x"], /"-FILE2" is refused/],
    [["-addTagsFromFile", "x.jpg"], /"-addTagsFromFile" is refused/],
    [["-allTagsFromFile", "x.jpg"], /"-allTagsFromFile" is refused/],
    [["-args"], /"-args" is refused/],
    [["-purge"], /"-purge" is refused/],
    [["-require"], /"-require" is refused/],
    [["-nop"], /"-nop" is unknown or not allowed/],
    [["-API", "LargeFileSupport=1"], /"-API" is unknown or not allowed/],
    [["-A"], /"-A" is unknown or not allowed/],
    [["-charset", "-o"], /"-charset" has an invalid value/],
    [
      ["-charset", "klingon"],
      /"-charset" has an invalid value "klingon": the character sets are arabic, /,
    ],
    [["-charset", "utf9"], /the character sets are .*utf8/],
    [
      ["-charset", "xmp=utf8"],
      /"-charset" has an invalid value "xmp=utf8": the types are exiftool, exif, /,
    ],
    [["-charset", "exif=klingon"], /the character sets are/],
    [["-charset", "iptc=latin=x"], /the character sets are/],
    // exiftool rejects the whole command for a language it does not have
    [
      ["-lang", "xx"],
      /"-lang" has an invalid value "xx": the languages are cs, de, en, en-ca, .*zh-tw$/,
    ],
    [["-lang", "zz-ZZZZ"], /"-lang" has an invalid value "zz-ZZZZ": the languages are cs, /],
    [["-lang", "de-DEUX"], /"-lang" has an invalid value "de-DEUX": the languages are cs, /],
    [["-lang", "en_us"], /"-lang" has an invalid value/],
    // excluding every tag makes exiftool print no JSON at all
    [["-x", "all"], /"-x" has an invalid value "all": it excludes every tag/],
    [["-x", "ALL"], /it excludes every tag/],
    [["-x", "all:all"], /it excludes every tag/],
    [["-x", "*"], /it excludes every tag/],
    [["-x", "*:*"], /"-x" has an invalid value/],
    [["-listItem", "1"], /"-listItem" is refused/],
    [["-sep", "-o"], /"-sep" has an invalid value/],
    [["-d", "-fast"], /"-d" has an invalid value/],
    // widths and precisions are bounded, as -lang and -x are
    [
      ["-c", "%.999999999f"],
      /^ExifTool option "-c" has an invalid value "%\.999999999f": a width or precision of 999999999 in "%\.999999999" \(at most 99\)$/,
    ],
    [["-c", "%d deg %100d'"], /"-c" has an invalid value .*a width or precision of 100 in "%100"/],
    [["-c", "%1$.2000f"], /a width or precision of 2000/],
    [
      ["-d", "%999999999Y"],
      /^ExifTool option "-d" has an invalid value "%999999999Y": a width or precision of 999999999 in "%999999999" \(at most 99\)$/,
    ],
    [["-d", "%Y-%m-%d %_0120H"], /"-d" has an invalid value .*of 120 in "%_0120"/],
    // a second dash: exiftool strips one and still finds an option
    [["--ext", "-d", "/etc/passwd"], /"--ext" is unknown or not allowed/],
    [["--wext", "-d", "/etc"], /"--wext" is refused|"--wext" is unknown or not allowed/],
    [["--tagoutext", "x"], /"--tagoutext" is (refused|unknown or not allowed)/],
    [["--"], /"--" is unknown or not allowed/],
    // U+2212 MINUS SIGN reads as "-" to exiftool
    [["-d", "\u2212Comment<${FileName;system('id')}"], /"-d" has an invalid value/],
    [["\u2212o", "x"], /U\+2212/],
    [["-\u2212ext", "x"], /U\+2212/],
  ];
  for (const [args, message] of refused) {
    it(`refuses ${JSON.stringify(args)}`, () => {
      expect(() => validateExiftoolOptions(args)).to.throw(message);
    });
  }
});
