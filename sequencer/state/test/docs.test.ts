/**
 * Comments and docs stay true to the code where a machine can tell: every file a comment in
 * sequencer/state names exists, every identifier a comment quotes in backticks exists in the
 * code, and docs/protocol.md's constants table and OracleUpdate limits are the code's values.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as constants from "../constants.js";

const STATE = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = resolve(STATE, "../..");
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
const files = sources(STATE);
const COMMENT = /\/\*[\s\S]*?\*\/|(?<![:"'`\\])\/\/[^\n]*/g;
/** Names of other libraries' APIs and of other projects that comments may quote. */
const EXTERNAL = new Set(["stateTransition"]);

describe("comments in sequencer/state", () => {
  it("name only files that exist", () => {
    const missing: string[] = [];
    for (const f of files) {
      for (const c of readFileSync(f, "utf8").match(COMMENT) ?? []) {
        for (const [ref] of c.matchAll(/[\w./-]*\w\.(?:ts|md)\b/g)) {
          const bases = [dirname(f), STATE, join(STATE, "ops"), join(STATE, "test"), ROOT, join(ROOT, "docs"), join(ROOT, "test")];
          if (!bases.some((b) => existsSync(join(b, ref)))) missing.push(`${f.slice(ROOT.length + 1)}: ${ref}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("quote only identifiers the code has", () => {
    const code = files.map((f) => readFileSync(f, "utf8").replace(COMMENT, "")).join("\n");
    const missing: string[] = [];
    for (const f of files) {
      for (const c of readFileSync(f, "utf8").match(COMMENT) ?? []) {
        for (const [, name] of c.matchAll(/`([a-z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*)`/g)) {
          if (!EXTERNAL.has(name!) && !new RegExp(`\\b${name}\\b`).test(code)) missing.push(`${f.slice(ROOT.length + 1)}: ${name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

describe("docs/protocol.md", () => {
  const doc = readFileSync(join(ROOT, "docs/protocol.md"), "utf8");

  it("lists the constants with the code's values", () => {
    const section = doc.slice(doc.indexOf("## 2. Constants"), doc.indexOf("## 3. State"));
    const rows = [...section.matchAll(/^\| `(\w+)` \| ([\d,]+) \|/gm)];
    expect(rows.length).toBeGreaterThan(8);
    for (const [, name, value] of rows) {
      const v = (constants as Record<string, unknown>)[name!];
      expect(BigInt(v as number | bigint), name).toBe(BigInt(value!.replaceAll(",", "")));
    }
  });

  it("gives OracleUpdate's list limits and size range from MAX_PRICE_POINTS and MAX_ORACLE_SIGNERS", () => {
    const { MAX_PRICE_POINTS, MAX_ORACLE_SIGNERS } = constants;
    const max = 16 + MAX_PRICE_POINTS * 11 + MAX_ORACLE_SIGNERS * 65;
    expect(doc).toContain(`prices List[PricePoint, ${MAX_PRICE_POINTS}], signatures List[Bytes65, ${MAX_ORACLE_SIGNERS}] | 16 … ${max.toLocaleString("en-US")} |`);
    // 67 is how many points of one update can be valid (asset 0 is never priced), not the limit.
    expect(doc).toContain(`| \`MAX_PRICE_POINTS\` | ${MAX_PRICE_POINTS} |`);
    expect(doc).toMatch(/at most 67 points of one update can be valid/);
  });
});
