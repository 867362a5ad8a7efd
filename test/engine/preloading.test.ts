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
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { exiftoolPath, perlPath, workerScriptPath } from "../../function/exiftool/locate";

const run = promisify(execFile);

/** The ExifTool modules the worker's parent has loaded before its first child. */
function workerPreloads(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(perlPath(), [workerScriptPath(), "--preloaded", exiftoolPath()], {
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
    const dir = mkdtempSync(join(tmpdir(), "s3-exiftool-release-"));
    try {
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
    const dir = mkdtempSync(join(tmpdir(), "s3-exiftool-release-"));
    try {
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
      // the table itself, and %allTables, which holds it
      expect(found).to.include(
        "loading Writer.pl: changed %Image::ExifTool::Exif::Main: a load-time effect worker.pl does not handle: audit it " +
          '(ARCHITECTURE.md, "Preloading"), then undo it in the parent and redo it where a new process ' +
          "loads Writer.pl (preload_writer in worker.pl), or stop preloading Writer.pl",
      );
      for (const message of found)
        expect(message).to.match(/^loading Writer\.pl: changed %Image::ExifTool::/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("tells a call that compiles differently after Writer.pl (its prototype) from one that does not", async () => {
    const dir = mkdtempSync(join(tmpdir(), "s3-exiftool-release-"));
    try {
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("compiles every ExifTool file alike before and after Writer.pl (prototypes, inlined constants)", async () => {
    // each file compiled first, as in a new process that needs it before
    // Writer.pl, and after it, as in a worker child; and Writer.pl both ways
    const files = readdirSync(join(LIB, "Image", "ExifTool"))
      .filter((name) => /\.p[ml]$/.test(name))
      .map((name) => `Image/ExifTool/${name}`)
      .filter((file) => !WRITER.includes(file));
    expect(files.length).to.be.greaterThan(150);
    const { stdout } = await run(
      perlPath(),
      [AUDIT, "order", LIB, "Image/ExifTool/Writer.pl", ...files],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const found = stdout.split("\n").filter(Boolean);
    expect(
      found,
      "code that compiles differently after Writer.pl (a prototype, an inlined constant): audit each call, " +
        'or stop preloading Writer.pl (ARCHITECTURE.md, "Preloading")',
    ).to.deep.equal([]);
  });
});
