/**
 * Reads Prometheus text exposition (what prom-client's `Registry.metrics()` writes) in tests:
 * every sample with its labels, and lookups that sum the samples matching a label subset.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, "$1");
    const value = m[3] === "+Inf" ? Infinity : m[3] === "-Inf" ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== "NaN") throw new Error(`bad sample value in ${JSON.stringify(line)}`);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** The sum of the samples named `name` whose labels include `labels`; undefined when none match. */
export function metric(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.length === 0 ? undefined : hits.reduce((a, s) => a + s.value, 0);
}

/** GET `url` and parse it; checks the status and the Prometheus content type. */
export async function scrape(url: string): Promise<Sample[]> {
  const r = await fetch(url);
  const body = await r.text();
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${body}`);
  const type = r.headers.get("content-type") ?? "";
  if (!type.startsWith("text/plain; version=0.0.4")) throw new Error(`GET ${url}: content type ${type}, not Prometheus text 0.0.4`);
  return parsePrometheus(body);
}
