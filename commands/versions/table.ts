// Plain fixed-width text, so the output reads the same in a terminal, in CI
// logs and in the body of the weekly pull request.
import type { Row } from "./plan";

export function formatTable(rows: readonly Row[]): string {
  const lines: string[][] = [
    ["pin", "current", "latest", "status"],
    ...rows.map((row) => [row.pin, row.current, row.latest, row.status]),
  ];
  const widths =
    lines[0]?.map((_, col) => Math.max(...lines.map((cells) => cells[col]?.length ?? 0))) ?? [];
  const render = (cells: string[]): string =>
    cells
      .map((cell, col) => cell.padEnd(widths[col] ?? 0))
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  const [header, ...body] = lines.map(render);
  return [header, rule, ...body].join("\n");
}
