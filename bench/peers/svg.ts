/**
 * A tiny horizontal bar chart as standalone SVG (no browser, no dependencies), for the peers
 * report. One `<rect class="bar">` per value, carrying `data-label` and `data-value`, so
 * a test (or a reader with a text editor) can check the chart holds exactly the measured
 * figures.
 */

export interface Bar {
  label: string;
  value: number;
  /** Ours is drawn in the accent colour, peers in grey. */
  ours: boolean;
}

export interface ChartSpec {
  title: string;
  unit: string;
  bars: Bar[];
  /** Printed under the title, e.g. "higher is better". */
  subtitle?: string;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Compact value for a label: 3 significant digits, thousands separated. */
export function formatValue(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

export function barChart(spec: ChartSpec): string {
  if (spec.bars.length === 0) throw new Error(`chart "${spec.title}" has no bars`);
  for (const b of spec.bars) if (!Number.isFinite(b.value) || b.value < 0) throw new Error(`chart "${spec.title}": bar "${b.label}" has value ${b.value}`);
  const width = 720;
  const labelW = 250;
  const valueW = 150;
  const barH = 26;
  const gap = 10;
  const top = spec.subtitle ? 62 : 46;
  const plotW = width - labelW - valueW - 20;
  const max = Math.max(...spec.bars.map((b) => b.value)) || 1;
  const height = top + spec.bars.length * (barH + gap) + 12;
  const rows = spec.bars.map((b, i) => {
    const y = top + i * (barH + gap);
    const w = Math.max(1, Math.round((b.value / max) * plotW));
    const fill = b.ours ? "#2b6cb0" : "#a0aec0";
    return [
      `  <text x="${labelW - 10}" y="${y + barH / 2 + 5}" text-anchor="end" class="label">${esc(b.label)}</text>`,
      `  <rect class="bar" data-label="${esc(b.label)}" data-value="${b.value}" x="${labelW}" y="${y}" width="${w}" height="${barH}" fill="${fill}" rx="3"/>`,
      `  <text x="${labelW + w + 8}" y="${y + barH / 2 + 5}" class="value">${esc(formatValue(b.value))} ${esc(spec.unit)}</text>`,
    ].join("\n");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(spec.title)}">`,
    `  <style>text{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:13px;fill:#1a202c}.title{font-size:16px;font-weight:600}.sub{fill:#4a5568}.value{fill:#2d3748}</style>`,
    `  <rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `  <text x="16" y="26" class="title">${esc(spec.title)}</text>`,
    spec.subtitle ? `  <text x="16" y="46" class="sub">${esc(spec.subtitle)}</text>` : "",
    ...rows,
    `</svg>`,
    "",
  ]
    .filter((l) => l !== "")
    .join("\n");
}
