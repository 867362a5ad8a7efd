import { expect } from "chai";
import { validateExiftoolOptions } from "../../function/exiftool/options";

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
    [["-sep", "-o"], /"-sep" has an invalid value/],
    [["-d", "-fast"], /"-d" has an invalid value/],
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
