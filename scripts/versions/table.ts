// Plain fixed-width text, so the output reads the same in a terminal, in CI
// logs and in the body of the weekly pull request.
import type { Row } from "./plan";

export function formatTable(rows: readonly Row[]): string {
  const header: Row = { pin: "pin", current: "current", latest: "latest", status: "ok" };
  const cells = [header, ...rows].map((row, i) => [
    row.pin,
    row.current,
    row.latest,
    i === 0 ? "status" : row.status,
  ]);
  const widths = [0, 1, 2, 3].map((col) => Math.max(...cells.map((line) => line[col]!.length)));
  const line = (values: string[]): string =>
    values
      .map((value, col) => value.padEnd(widths[col]!))
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join("\n");
}
