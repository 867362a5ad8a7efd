// The worker's parent loads ExifTool modules once for all its children:
// those a new `exiftool -json` process loads before it reads any file, so
// that their load-time effects (Composite tags registered, other modules'
// tables changed) are in every child exactly as in a new process; and
// Writer.pl (with TagLookup.pm and Fixup.pm), which a new process loads only
// when a file needs it, audited here: its effects outside its own code at
// load must be exactly those worker.pl undoes and redoes, and no code may
// compile differently for being compiled before or after it. A release of
// ExifTool that changes any of this fails here, naming what to audit.
import { execFile, spawn } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { exiftoolPath, perlPath, workerScriptPath } from "../../function/exiftool/locate";
import { formatModules } from "../../function/exiftool/format-modules";

const run = promisify(execFile);

/**
 * The ExifTool modules the worker's parent has loaded before its first child
 * (--preloaded), or the files it loads and hides while it serves (--formats).
 */
function workerPreloads(
  flag: "--preloaded" | "--formats" | "--effects" = "--preloaded",
  exiftool = exiftoolPath(),
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(perlPath(), [workerScriptPath(), flag, exiftool], {
      stdio: ["ignore", "pipe", "inherit", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out.split("\n").filter(Boolean)) : reject(new Error(`exit ${code}`)),
    );
  });
}

/** Every module file a new process finishes loading, in order, printed on stderr. */
const LOAD_RECORDER = `BEGIN {
  *CORE::GLOBAL::require = sub {
    my $new = !exists $INC{$_[0]};
    my @result = CORE::require($_[0]);
    print STDERR "loaded $_[0]\\n" if $new;
    return $result[0];
  };
}
$0 = shift; do $0; die $@ if $@;`;

/** The ExifTool modules a new `exiftool -json` process loads before it looks at a file. */
async function freshPreloads(exiftool: string): Promise<string[]> {
  const missing = join(tmpdir(), "s3-exiftool-no-such-file");
  const { stderr } = await run(perlPath(), ["-e", LOAD_RECORDER, exiftool, "-json", missing]).catch(
    // exiftool exits 1 for the missing file, after loading what every run loads
    (error: { stderr?: string }) => ({ stderr: error.stderr ?? "" }),
  );
  expect(stderr).to.contain("File not found");
  return [...stderr.matchAll(/^loaded (Image\/ExifTool[./]\S+)$/gm)].map((m) => m[1]!);
}

/** Preloaded beyond what every new process loads: audited below. */
const WRITER = [
  "Image/ExifTool/Fixup.pm",
  "Image/ExifTool/TagLookup.pm",
  "Image/ExifTool/Writer.pl",
];
const AUDIT = join(__dirname, "..", "support", "load-audit.pl");
const LIB = join(dirname(exiftoolPath()), "lib");

/** What differs between the two, each with what to do about it; empty when they agree. */
function preloadAudit(worker: string[], fresh: string[]): string[] {
  const audit =
    "audit its load-time effects (AddCompositeTags, changes to other modules' tables, " +
    "%UserDefined, GetTagTable's lazy loading, AUTOLOAD, defined(&...) tests; ARCHITECTURE.md, " +
    '"Preloading")';
  return [
    ...fresh
      .filter((module) => !worker.includes(module))
      .map(
        (module) =>
          `${module}: every new exiftool -json process loads it before reading a file, the worker's parent does not: ` +
          `${audit}, then load it in worker.pl where a new process does`,
      ),
    ...worker
      .filter((module) => !fresh.includes(module) && !WRITER.includes(module))
      .map(
        (module) =>
          `${module}: the worker's parent loads it, a new exiftool -json process does not before a file needs it, ` +
          `so its load-time effects would reach every object: ${audit}, or stop preloading it`,
      ),
  ];
}

/** `load-audit.pl effects`: what loading Writer.pl after the base does outside its own code. */
async function writerEffects(lib: string): Promise<string[]> {
  const { stdout } = await run(perlPath(), [AUDIT, "effects", lib, ...WRITER]);
  return stdout.split("\n").filter(Boolean);
}

/**
 * The effects worker.pl handles. Writer.pl's float check sets the byte order
 * and restores it, leaving $swapBytes and $swapWords set: the parent undoes
 * it, a child redoes it at the first call of a Writer.pl sub. Its subs (new,
 * or declared before and defined by it) are what AUTOLOAD would load: every
 * name they are known by gets that first-call prologue.
 */
function unhandledWriterEffects(effects: string[]): string[] {
  const handled = new Set([
    "call Image::ExifTool::GetByteOrder",
    "call Image::ExifTool::SetByteOrder",
    "call Image::ExifTool::SwapBytes",
    "call Image::ExifTool::SwapWords",
    "new $Image::ExifTool::swapBytes",
    "new $Image::ExifTool::swapWords",
  ]);
  return effects
    .filter(
      (effect) => !handled.has(effect) && !/^(sub|defined) Image::ExifTool::[\w:]+$/.test(effect),
    )
    .map(
      (effect) =>
        `loading Writer.pl: ${effect}: a load-time effect worker.pl does not handle: audit it ` +
        `(ARCHITECTURE.md, "Preloading"), then undo it in the parent and redo it where a new process ` +
        `loads Writer.pl (preload_writer in worker.pl), or stop preloading Writer.pl`,
    );
}

/**
 * The subs that the modules every new process loads before a file (ExifTool,
 * Exif, MakerNotes, GPS, XMP) declare without a body, at file scope in their
 * one package: every new process has these declarations.
 */
const FORWARD_DECLARED = [
  "ExifTool",
  "ExifTool/Exif",
  "ExifTool/MakerNotes",
  "ExifTool/GPS",
  "ExifTool/XMP",
]
  .map((module) => readFileSync(join(LIB, "Image", `${module}.pm`), "latin1"))
  .flatMap((source) => {
    const pkg = /^package ([\w:]+);/m.exec(source)![1]!;
    return [...source.matchAll(/^sub (\w+)\s*\([^)]*\)\s*;/gm)].map(
      (match) => `${pkg}::${match[1]}`,
    );
  });

/**
 * What Archive::Zip's load does outside the files it brings in, audited
 * (ARCHITECTURE.md, "Preloading"): File::Temp resolves Fcntl constants at
 * load, through Fcntl's AUTOLOAD, which defines the available ones and
 * declares the others (a constant is the same whoever resolves it first, and
 * neither ExifTool nor Archive::Zip names Fcntl); and it compiles an END
 * block, which removes the temporary files its process made (none, in a
 * child that never used it) with `$?` kept.
 */
const AUDITED_LIBRARY_EFFECTS = [
  /^Archive\/Zip\.pm (?:sub|declared) Fcntl::[A-Z0-9_]+$/,
  /^Archive\/Zip\.pm new \$Fcntl::AUTOLOAD$/,
  /^Archive\/Zip\.pm end-block \S*\/File\/Temp\.pm$/,
];

/**
 * Where ExifTool's code other than `definer` names a sub or a hash that
 * `definer` defines in another file's package `pkg`: in a child it exists
 * before `definer` loads, in a new process only after. Qualified anywhere;
 * unqualified in the files of that package. A table named in a string goes
 * through GetTagTable, which the worker sees to (not reported).
 */
function namedOutside(
  sources: ExifToolSource[],
  definer: string,
  pkg: string,
  name: string,
  kind: "sub" | "hash",
): string[] {
  const qualified = `${pkg}::${name}`.replace(/:/g, "\\:");
  const [anywhere, inPackage] =
    kind === "sub"
      ? [`\\b${qualified}\\b`, `\\b${name}\\b`]
      : [`[%$@]\\{?\\s*${qualified}\\b`, `(?:[%@]\\{?\\s*${name}\\b|\\$${name}\\s*\\{)`];
  const found: string[] = [];
  for (const { shown, source, code } of sources) {
    if (shown === definer) continue;
    const samePackage = new RegExp(`^\\s*package\\s+${pkg.replace(/:/g, "\\:")}\\s*;`, "m").test(
      source,
    );
    const pattern = new RegExp(samePackage ? `${anywhere}|${inPackage}` : anywhere, "g");
    const lines = new Set<number>();
    for (const match of code.matchAll(pattern)) {
      lines.add(code.slice(0, match.index).split("\n").length);
    }
    for (const line of lines) found.push(`${shown}:${line}`);
  }
  return found;
}

/**
 * `load-audit.pl format-effects`: each format module's load-time effects the
 * worker does not record. `tables`: "FILE table NAME" lines of the worker's
 * --effects, the tables it knows a file defines outside its own package.
 */
async function unhandledFormatEffects(
  lib: string,
  files: string[],
  tables: string[] = [],
): Promise<string[]> {
  const { stdout } = await run(perlPath(), [AUDIT, "format-effects", lib, ...files]);
  const mapped = new Set(tables.map((line) => line.replace(" table ", " new %")));
  const sources = exiftoolSources(lib, exiftoolPath());
  // a sub or table defined in another file's package: only its own file may name it
  const definedOutside = (line: string): string[] => {
    const match = /^(\S+) (sub |new %)((?:\w+::)+)(\w+)$/.exec(line);
    if (!match || (match[2] === "new %" && !mapped.has(line))) return [];
    const [, definer, kind, pkg, name] = match;
    const where = namedOutside(
      sources,
      definer!,
      pkg!.slice(0, -2),
      name!,
      kind === "sub " ? "sub" : "hash",
    );
    return where.length ? [`${line}, which ${where.join(", ")} names`] : ["audited"];
  };
  return (
    stdout
      .split("\n")
      .filter(Boolean)
      .flatMap((line) => {
        const outside = definedOutside(line);
        return outside[0] === "audited" ? [] : outside.length ? outside : [line];
      })
      // the registration is what the worker records and makes in the child;
      // a sub ExifTool.pm or XMP.pm declares without a body (`sub WriteTIFF($$$);`,
      // kept by Perl as a bare prototype) shows as declared once a module takes a
      // reference to it or calls it: the same declaration a new process has,
      // before and after
      .filter(
        (line) =>
          !line.endsWith(" call Image::ExifTool::AddCompositeTags") &&
          !FORWARD_DECLARED.some((name) => line.endsWith(` declared ${name}`)) &&
          !AUDITED_LIBRARY_EFFECTS.some((effect) => effect.test(line)),
      )
      .map(
        (line) =>
          `${line}: a load-time effect the worker's format preloading does not record: audit it ` +
          `(ARCHITECTURE.md, "Preloading"), then record it and make it in the child, or take the module ` +
          `out of FORMAT_MODULES in worker.pl`,
      )
  );
}

interface ExifToolSource {
  file: string;
  /** the source without its comments, line for line */
  code: string;
  /** its path from LIB (Image/ExifTool/XMP.pm), as messages show it */
  shown: string;
  source: string;
}

/**
 * ExifTool's code: the application and every .pm and .pl under LIB/Image,
 * without its documentation. LIB may be DIR:LIB, as Perl's @INC: a file in
 * DIR (a simulated release's) stands for LIB's.
 */
function exiftoolSources(lib: string, exiftool: string): ExifToolSource[] {
  const found = new Map<string, ExifToolSource>();
  const walk = (root: string, dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const shown = path.slice(root.length + 1);
      if (entry.isDirectory()) walk(root, path);
      else if (/\.p[ml]$/.test(entry.name) && !found.has(shown))
        found.set(shown, source(path, shown));
    }
  };
  const source = (file: string, shown: string): ExifToolSource => {
    const text = readFileSync(file, "latin1").replace(/\n__END__\n[\s\S]*$/, "");
    const code = text
      .split("\n")
      .map((line) => line.replace(/(^|\s)#.*$/, ""))
      .join("\n");
    return { file, shown, source: text, code };
  };
  for (const root of lib.split(":")) walk(root, join(root, "Image"));
  return [source(exiftool, "exiftool"), ...found.values()];
}

/** Where ExifTool's code asks whether a sub exists, or loads a module from AUTOLOAD: none may reach a hidden module. */
function pathsAroundRequire(lib: string, exiftool: string, hidden: string[]): string[] {
  const packages = hidden.map((file) => file.replace(/\.pm$/, "").replace(/\//g, "::"));
  const found: string[] = [];
  for (const { file, shown, source } of exiftoolSources(lib, exiftool)) {
    const lines = source.split("\n");
    lines.forEach((line, index) => {
      const code = line.replace(/(^|\s)#.*$/, "");
      const where = `${shown}:${index + 1}`;
      // a test of a sub's existence: true in a child for a hidden module's subs
      for (const match of code.matchAll(
        /\b(?:defined|exists)\s*\(?\s*&\s*([\w:]+|\$\w+|\{)|->can\(|UNIVERSAL::can/g,
      )) {
        const target = match[1];
        if (target && /^[\w:]+$/.test(target)) {
          const pkg = packages.find((name) => target.startsWith(`${name}::`));
          if (pkg) found.push(`${where}: tests whether ${target} exists, a sub of hidden ${pkg}`);
        } else if (!KNOWN_DYNAMIC_TESTS.includes(`${code.trim()}`)) {
          found.push(`${where}: "${code.trim()}" tests a sub whose name it computes`);
        }
      }
    });
    // an AUTOLOAD that loads a hidden module would not run in a child: its subs exist
    for (const match of source.matchAll(/\nsub AUTOLOAD\b[\s\S]*?\n\}/g)) {
      for (const required of match[0].matchAll(/require\s+([\w:]+)/g)) {
        const pkg = packages.find((name) => required[1] === name);
        if (pkg) found.push(`${file}: an AUTOLOAD requires hidden ${pkg}`);
      }
    }
  }
  return found;
}

/**
 * The tests of a computed sub name in ExifTool 13.59, audited: both are an
 * AUTOLOAD checking the sub it was called for after its require (Writer*.pl,
 * Shift.pl, LigoGPS.pm: none of them hidden).
 */
const KNOWN_DYNAMIC_TESTS = ["unless (defined &$autoload) {", "unless (defined &$AUTOLOAD) {"];

/** Runs `test` with a new temporary directory for a simulated release, removed afterwards. */
async function withRelease(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "s3-exiftool-release-"));
  try {
    await test(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Writes DIR/Image/MODULE, the real release's module with `code` added just
 * before its closing `1;`; returns its path and the line `code` starts on.
 */
function withCodeAdded(dir: string, module: string, code: string): { path: string; line: number } {
  const path = join(dir, "Image", module);
  mkdirSync(dirname(path), { recursive: true });
  const source = readFileSync(join(LIB, "Image", module), "latin1");
  const end = source.lastIndexOf("\n1;");
  expect(end, `${module} ends with 1;`).to.be.greaterThan(0);
  writeFileSync(path, source.slice(0, end) + "\n" + code + source.slice(end), "latin1");
  return { path, line: source.slice(0, end).split("\n").length + 1 };
}

describe("worker preloading", function () {
  this.timeout(300_000);

  it("loads exactly the ExifTool modules every new exiftool -json process loads before any file", async () => {
    const fresh = await freshPreloads(exiftoolPath());
    // in the order a new process finishes loading them (Exif uses MakerNotes, XMP uses GPS)
    expect(fresh).to.deep.equal([
      "Image/ExifTool.pm",
      "Image/ExifTool/MakerNotes.pm",
      "Image/ExifTool/Exif.pm",
      "Image/ExifTool/GPS.pm",
      "Image/ExifTool/XMP.pm",
    ]);
    const worker = await workerPreloads();
    expect(preloadAudit(worker, fresh)).to.deep.equal([]);
  });

  it("names a module a new release loads for every file, and says what to audit", async () => {
    // a release whose every run also loads a module with a load-time effect
    await withRelease(async (dir) => {
      const module = join(dir, "lib", "Image", "ExifTool", "Synthetic.pm");
      mkdirSync(dirname(module), { recursive: true });
      writeFileSync(
        module,
        `package Image::ExifTool::Synthetic;
%Image::ExifTool::Synthetic::Composite = (Shiny => { Require => 'Make', ValueConv => '1' });
Image::ExifTool::AddCompositeTags('Image::ExifTool::Synthetic');
1;
`,
      );
      const exiftool = join(dir, "exiftool");
      writeFileSync(
        exiftool,
        `BEGIN { unshift @INC, ${JSON.stringify(join(dirname(exiftoolPath()), "lib"))}, ${JSON.stringify(join(dir, "lib"))} }
use Image::ExifTool;
require Image::ExifTool::Synthetic;
$0 = ${JSON.stringify(exiftoolPath())}; do $0; die $@ if $@;
`,
      );
      const found = preloadAudit(await workerPreloads(), await freshPreloads(exiftool));
      expect(found).to.have.length(1);
      expect(found[0]).to.match(
        /^Image\/ExifTool\/Synthetic\.pm: every new exiftool -json process/,
      );
      expect(found[0]).to.contain("audit its load-time effects (AddCompositeTags");
    });
  });

  it("loads Writer.pl, whose only load-time effects outside its own code are those the worker redoes", async () => {
    const effects = await writerEffects(LIB);
    // the audit sees the float check, and Writer.pl's own subs
    expect(effects).to.include("call Image::ExifTool::SetByteOrder");
    expect(effects).to.include("sub Image::ExifTool::WriteInfo");
    expect(unhandledWriterEffects(effects)).to.deep.equal([]);
  });

  it("names a load-time effect a new release of Writer.pl adds, and says what to audit", async () => {
    // a release whose Writer.pl also adds a tag to the Exif table when it loads
    await withRelease(async (dir) => {
      const writer = join(dir, "Image", "ExifTool", "Writer.pl");
      mkdirSync(dirname(writer), { recursive: true });
      const source = readFileSync(join(LIB, "Image", "ExifTool", "Writer.pl"), "utf8");
      expect(source).to.contain("\n1; # end\n");
      writeFileSync(
        writer,
        source.replace(
          "\n1; # end\n",
          "\n$Image::ExifTool::Exif::Main{0xfffe} = { Name => 'Synthetic' };\n1; # end\n",
        ),
      );
      const found = unhandledWriterEffects(await writerEffects(`${dir}:${LIB}`));
      // the table itself, and the variables that hold it (%allTables, ...)
      expect(found).to.include(
        "loading Writer.pl: changed %Image::ExifTool::Exif::Main: a load-time effect worker.pl does not handle: audit it " +
          '(ARCHITECTURE.md, "Preloading"), then undo it in the parent and redo it where a new process ' +
          "loads Writer.pl (preload_writer in worker.pl), or stop preloading Writer.pl",
      );
      for (const message of found)
        expect(message).to.match(/^loading Writer\.pl: changed [%@$]Image::ExifTool::/);
    });
  });

  it("tells a call that compiles differently after Writer.pl (its prototype) from one that does not", async () => {
    await withRelease(async (dir) => {
      const module = join(dir, "Image", "ExifTool", "Synthetic.pm");
      mkdirSync(dirname(module), { recursive: true });
      // ReverseLookup($$): before Writer.pl, @pair is passed as a list; after it, as its count
      writeFileSync(
        module,
        `package Image::ExifTool::Synthetic;
sub Probe { my @pair = (1, {}); return Image::ExifTool::ReverseLookup(@pair, 0) }
sub Plain { my ($value, $table) = @_; return Image::ExifTool::ReverseLookup($value, $table) }
1;
`,
      );
      const { stdout } = await run(perlPath(), [
        AUDIT,
        "order",
        `${dir}:${LIB}`,
        "Image/ExifTool/Writer.pl",
        "Image/ExifTool/Synthetic.pm",
      ]);
      expect(stdout).to.equal(
        "differs Image/ExifTool/Synthetic.pm Image::ExifTool::Synthetic::Probe\n",
      );
    });
  });

  it("compiles every other ExifTool file alike before and after what the parent preloads (prototypes, inlined constants)", async () => {
    // each file compiled first, as in a new process that needs it before
    // Writer.pl and the format modules, and after them, as in a worker child;
    // and those files both ways
    const preloaded = [...WRITER, ...(await workerPreloads("--formats"))];
    const files = readdirSync(join(LIB, "Image", "ExifTool"))
      .filter((name) => /\.p[ml]$/.test(name))
      .map((name) => `Image/ExifTool/${name}`)
      .filter((file) => !preloaded.includes(file));
    expect(files.length).to.be.greaterThan(120);
    const { stdout } = await run(perlPath(), [AUDIT, "order", LIB, preloaded.join(","), ...files], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const found = stdout.split("\n").filter(Boolean);
    expect(
      found,
      "code that compiles differently after Writer.pl or a format module (a prototype, an inlined constant): " +
        'audit each call, or stop preloading that file (ARCHITECTURE.md, "Preloading")',
    ).to.deep.equal([]);
  });

  it("hides every format module it preloads: each load's only effects outside its own code are those it records", async () => {
    const hidden = await workerPreloads("--formats");
    // the list's modules and the ones they load (Sony loads Minolta, Nikon NikonCustom)
    for (const file of formatModules()) expect(hidden).to.include(file);
    expect(hidden).to.include("Image/ExifTool/Minolta.pm");
    expect(hidden.filter((file) => WRITER.includes(file))).to.deep.equal([]);
    expect(FORWARD_DECLARED).to.include("Image::ExifTool::WriteTIFF");
    // XMP.pm's, which PNG.pm's call of it turns into a full symbol
    expect(FORWARD_DECLARED).to.include("Image::ExifTool::XMP::ValidateXMP");
    const tables = (await workerPreloads("--effects")).filter((line) => / table /.test(line));
    // XMP2.pl's XMP namespaces, which GetTagTable loads it for
    expect(tables).to.include("Image/ExifTool/XMP2.pl table Image::ExifTool::XMP::iptcExt");
    expect(await unhandledFormatEffects(LIB, formatModules(), tables)).to.deep.equal([]);
  });

  it("leaves the format modules out under a memory cap that would leave a child too little", async () => {
    // the worker's cap is an address-space limit set before Perl starts (exiftool-worker.ts)
    const hiddenUnder = async (kib: number): Promise<string[]> => {
      const { stdout } = await run("/bin/sh", [
        "-c",
        'ulimit -v "$1" && shift && exec "$@" 3</dev/null 4>/dev/null',
        "sh",
        String(kib),
        perlPath(),
        workerScriptPath(),
        "--formats",
        exiftoolPath(),
      ]);
      return stdout.split("\n").filter(Boolean);
    };
    // the smallest cap the stack allows (96 MB) and one just under the threshold
    expect(await hiddenUnder(96 * 1000)).to.deep.equal([]);
    expect(await hiddenUnder(191 * 1024)).to.deep.equal([]);
    expect(await hiddenUnder(192 * 1024)).to.deep.equal(await workerPreloads("--formats"));
  });

  it("records, and does not compile again, a format module that a later one uses", async () => {
    // a release whose last format module uses the first: the parent has the
    // first loaded and hidden by then
    const exiftools = formatModules().filter((file) => /^Image\/ExifTool\/\w+\.pm$/.test(file));
    const [first, last] = [exiftools[0]!, exiftools.at(-1)!];
    await withRelease(async (dir) => {
      const bin = dirname(exiftoolPath());
      cpSync(bin, dir, { recursive: true });
      const lastPath = join(dir, "lib", last);
      const pkg = first.replace(/\.pm$/, "").replace(/\//g, "::");
      writeFileSync(
        lastPath,
        readFileSync(lastPath, "latin1").replace(/^(package [\w:]+;)$/m, `$1\nuse ${pkg};`),
        "latin1",
      );
      const effects = await workerPreloads("--effects", join(dir, "exiftool"));
      // the first one's registration once, under it; the last one requires it
      expect(effects.filter((line) => line.endsWith(` composite ${pkg}`))).to.deep.equal([
        `${first} composite ${pkg}`,
      ]);
      expect(effects).to.include(`${last} require ${first}`);
    });
  });

  it("names a format module whose new release changes another module's table or adds an END block at load, and says what to audit", async () => {
    await withRelease(async (dir) => {
      const { path: canon } = withCodeAdded(
        dir,
        "ExifTool/Canon.pm",
        "$Image::ExifTool::Exif::Main{0xfffe} = { Name => 'Synthetic' };" +
          // and three levels down in another table
          "\n$Image::ExifTool::XMP::Main{dc}{SubDirectory}{TagTable} = 'Image::ExifTool::Synthetic';" +
          // and an END block, which every child would run at its exit
          "\nEND { }",
      );
      // Canon and the module after it: the audit of every module against the
      // real release is the test above
      const audited = formatModules().slice(0, 2);
      expect(audited[0]).to.equal("Image/ExifTool/Canon.pm");
      const found = await unhandledFormatEffects(`${dir}:${LIB}`, audited);
      expect(found).to.include(
        "Image/ExifTool/Canon.pm changed %Image::ExifTool::Exif::Main: a load-time effect the worker's format " +
          'preloading does not record: audit it (ARCHITECTURE.md, "Preloading"), then record it and make it in ' +
          "the child, or take the module out of FORMAT_MODULES in worker.pl",
      );
      expect(
        found.some((message) => message.includes(" changed %Image::ExifTool::XMP::Main:")),
      ).to.equal(true);
      expect(
        found.some((message) => message.startsWith(`Image/ExifTool/Canon.pm end-block ${canon}:`)),
      ).to.equal(true);
      for (const message of found) {
        expect(message).to.match(/^Image\/ExifTool\/Canon\.pm (?:changed |end-block )/);
      }
    });
  });

  it("finds no test of a hidden module's subs, and no AUTOLOAD that loads one", async () => {
    const hidden = await workerPreloads("--formats");
    expect(pathsAroundRequire(LIB, exiftoolPath(), hidden)).to.deep.equal([]);
    // and would find one: QuickTime.pm's AUTOLOAD, were LigoGPS.pm hidden
    const found = pathsAroundRequire(LIB, exiftoolPath(), [...hidden, "Image/ExifTool/LigoGPS.pm"]);
    expect(found).to.have.length(1);
    expect(found[0]).to.match(
      /QuickTime\.pm: an AUTOLOAD requires hidden Image::ExifTool::LigoGPS$/,
    );
  });

  it("names a table or sub that a hidden file defines in another module's package when other code names it, and says what to audit", async () => {
    // XMP2.pl defines XMP namespaces and three subs in XMP.pm's package: a
    // child has them before it loads XMP2.pl, a new process only after
    const tables = (await workerPreloads("--effects")).filter((line) => / table /.test(line));
    expect(await unhandledFormatEffects(LIB, ["Image/ExifTool/XMP2.pl"], tables)).to.deep.equal([]);
    await withRelease(async (dir) => {
      const { line } = withCodeAdded(
        dir,
        "ExifTool/XMP.pm",
        "sub Synthetic { return (\\%Image::ExifTool::XMP::iptcExt, ProcessSEAL(@_)) }",
      );
      const found = await unhandledFormatEffects(
        `${dir}:${LIB}`,
        ["Image/ExifTool/XMP2.pl"],
        tables,
      );
      const audit =
        ': a load-time effect the worker\'s format preloading does not record: audit it (ARCHITECTURE.md, "Preloading"), ' +
        "then record it and make it in the child, or take the module out of FORMAT_MODULES in worker.pl";
      expect(found).to.deep.equal([
        `Image/ExifTool/XMP2.pl new %Image::ExifTool::XMP::iptcExt, which Image/ExifTool/XMP.pm:${line} names${audit}`,
        `Image/ExifTool/XMP2.pl sub Image::ExifTool::XMP::ProcessSEAL, which Image/ExifTool/XMP.pm:${line} names${audit}`,
      ]);
    });
  });

  it("compiles the format modules alike in any order among themselves", async () => {
    const { stdout } = await run(perlPath(), [AUDIT, "reversal", LIB, ...formatModules()]);
    expect(stdout, "format modules whose code depends on their order: audit each").to.equal("");
  });

  it("tells a format module whose code depends on another's being compiled first", async () => {
    await withRelease(async (dir) => {
      const write = (name: string, body: string): void => {
        const path = join(dir, "Image", "ExifTool", `${name}.pm`);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, `package Image::ExifTool::${name};\n${body}\n1;\n`);
      };
      write("SyntheticA", "sub Pair($$) { return $_[0] }");
      // before SyntheticA, @pair is passed as a list; after it, as its count
      write(
        "SyntheticB",
        "sub Probe { my @pair = (1, 2); return Image::ExifTool::SyntheticA::Pair(@pair, 0) }",
      );
      const { stdout } = await run(perlPath(), [
        AUDIT,
        "reversal",
        `${dir}:${LIB}`,
        "Image/ExifTool/SyntheticA.pm",
        "Image/ExifTool/SyntheticB.pm",
      ]);
      expect(stdout).to.equal("differs Image::ExifTool::SyntheticB::Probe\n");
    });
  });
});
