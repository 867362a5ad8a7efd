// The Perl modules the image installs (Dockerfile: perl-Archive-Zip and the
// modules of Perl's own distribution), with the Debian packages that bring
// them here. A test of ExifTool's output on this machine means nothing
// unless they are present, so it stops with the package to install.
import { execFileSync } from "node:child_process";
import { perlPath } from "../../function/exiftool/locate";

export const IMAGE_PERL_MODULES: Record<string, string> = {
  "Archive::Zip": "libarchive-zip-perl",
  "IO::Compress::Gzip": "perl",
  "Compress::Zlib": "perl",
  "Digest::MD5": "perl",
  "Digest::SHA": "perl",
  Encode: "perl",
  "Time::Local": "perl",
  "Time::HiRes": "perl",
};

/** Throws, naming each missing module and its Debian package, unless Perl loads them all. */
export function requirePerlModules(): void {
  const missing = Object.entries(IMAGE_PERL_MODULES).filter(([module]) => {
    try {
      execFileSync(perlPath(), [`-M${module}`, "-e", "1"], { stdio: "ignore" });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    const packages = [...new Set(missing.map(([, pkg]) => pkg))].join(" ");
    throw new Error(
      `Perl lacks ${missing.map(([module]) => module).join(", ")}, which the image installs: ` +
        `apt-get install ${packages} (see README, Quick start)`,
    );
  }
}
