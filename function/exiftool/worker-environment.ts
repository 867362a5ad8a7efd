// The environment a worker's Perl gets. It parses untrusted files, so it gets
// only what Perl needs: no AWS credentials (Lambda puts them in the
// environment), no HOME (no stray ~/.ExifTool_config). TZ stays, as ExifTool
// formats dates in local time; LD_LIBRARY_PATH is the runtime's library path.

const KEPT = [
  "PATH",
  "LD_LIBRARY_PATH",
  "TZ",
  "LANG",
  "LC_ALL",
  "PERL5LIB",
  "S3_EXIFTOOL_READ_CHUNK",
];

export function workerEnvironment(
  env: NodeJS.ProcessEnv,
  readWindowBytes?: number,
): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const name of KEPT) {
    if (env[name] !== undefined) kept[name] = env[name];
  }
  if (readWindowBytes !== undefined) kept.S3_EXIFTOOL_READ_CHUNK = String(readWindowBytes);
  return kept;
}
