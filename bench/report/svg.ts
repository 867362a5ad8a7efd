// bench/results/latest.svg: bytes read per large file, the three contenders
// side by side on a log scale, with ExifTool's touched bytes marked. Written
// by hand so that the chart needs nothing but this file.
import { CONTENDERS, bytes, type Results } from "../results";

const COLORS: Record<string, string> = {
  engine: "#2b7bba",
  stream: "#e07b39",
  download: "#8c8c8c",
};

const BAR = 18;
const GAP = 28;
const LEFT = 80;
const TOP = 40;
const PLOT_HEIGHT = 300;
const BOTTOM = 110;

export function renderSvg(results: Results): string {
  const large = results.rows.filter((r) => r.group === "large");
  const files = [...new Set(large.map((r) => r.file))];
  const values = large.map((r) => r.bytesRead).filter((v) => v > 0);
  const touched = new Map(results.touched.map((t) => [t.file, t.bytesTouched]));
  const low = Math.floor(Math.log10(Math.max(1, Math.min(...values, ...touched.values()))));
  const high = Math.ceil(Math.log10(Math.max(10, ...values)));
  const y = (value: number): number =>
    TOP +
    PLOT_HEIGHT -
    ((Math.log10(Math.max(value, 10 ** low)) - low) / (high - low || 1)) * PLOT_HEIGHT;
  const groupWidth = CONTENDERS.length * BAR + GAP;
  const width = LEFT + files.length * groupWidth + 20;
  const height = TOP + PLOT_HEIGHT + BOTTOM;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="13" font-weight="bold">Bytes read from S3 per file (log scale; black tick: bytes ExifTool touches)</text>`,
  ];
  for (let power = low; power <= high; power++) {
    const at = y(10 ** power);
    parts.push(
      `<line x1="${LEFT}" x2="${width - 20}" y1="${at}" y2="${at}" stroke="#ddd"/>`,
      `<text x="${LEFT - 6}" y="${at + 4}" text-anchor="end">${axisLabel(power)}</text>`,
    );
  }
  files.forEach((file, index) => {
    const x0 = LEFT + GAP / 2 + index * groupWidth;
    CONTENDERS.forEach((contender, k) => {
      const row = large.find((r) => r.file === file && r.contender === contender);
      if (!row) return;
      const top = y(row.bytesRead);
      parts.push(
        `<rect x="${x0 + k * BAR}" y="${top.toFixed(1)}" width="${BAR - 2}" height="${(TOP + PLOT_HEIGHT - top).toFixed(1)}" fill="${COLORS[contender]}"><title>${escape(`${file} ${contender}: ${bytes(row.bytesRead)}`)}</title></rect>`,
      );
    });
    const floor = touched.get(file);
    if (floor !== undefined) {
      const at = y(floor).toFixed(1);
      parts.push(
        `<line x1="${x0 - 2}" x2="${x0 + CONTENDERS.length * BAR}" y1="${at}" y2="${at}" stroke="black" stroke-width="2"><title>${escape(`${file} touched: ${bytes(floor)}`)}</title></line>`,
      );
    }
    const labelX = x0 + (CONTENDERS.length * BAR) / 2;
    const labelY = TOP + PLOT_HEIGHT + 12;
    parts.push(
      `<text x="${labelX}" y="${labelY}" text-anchor="end" transform="rotate(-35 ${labelX} ${labelY})">${escape(file)}</text>`,
    );
  });
  CONTENDERS.forEach((contender, k) => {
    const x = LEFT + k * 110;
    const legendY = height - 14;
    parts.push(
      `<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[contender]}"/>`,
      `<text x="${x + 16}" y="${legendY}">${contender}</text>`,
    );
  });
  parts.push(
    `<line x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${TOP + PLOT_HEIGHT}" stroke="black"/>`,
  );
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/** Decimal powers read best in decimal units: 1 kB, 10 MB, 1 GB. */
export function axisLabel(power: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  const unit = Math.min(Math.floor(power / 3), units.length - 1);
  return `${10 ** (power - unit * 3)} ${units[unit]}`;
}

function escape(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
