// The worker's parent loads ExifTool modules once for all its children: only
// those a new `exiftool -json` process loads before it reads any file, so
// that their load-time effects (Composite tags registered, other modules'
// tables changed) are in every child exactly as in a new process. A release
// of ExifTool that changes that set fails here, naming the module to audit.
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
      .filter((module) => !fresh.includes(module))
      .map(
        (module) =>
          `${module}: the worker's parent loads it, a new exiftool -json process does not before a file needs it, ` +
          `so its load-time effects would reach every object: ${audit}, or stop preloading it`,
      ),
  ];
}

describe("worker preloading", function () {
  this.timeout(60_000);

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
});
