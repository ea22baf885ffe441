/**
 * Keeps documents true: the served OpenAPI document lists exactly the server's routes, its
 * operation schema accepts what the gateway accepts, and docs/api.md's error table is the
 * table in errors.ts (`UPDATE_DOCS=1` rewrites it).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSequencer } from "../../service.js";
import { ERRORS } from "../errors.js";
import { OPENAPI_PATHS } from "../openapi.js";
import { createApi } from "../server.js";
import { DOMAIN, Signer, get, keyOf, startTest } from "./helpers.js";

let seq: RunningSequencer;
beforeAll(async () => {
  seq = await startTest();
});
afterAll(async () => {
  await seq?.close();
});

const DOC = new URL("../../../docs/api.md", import.meta.url);

export function errorTable(): string {
  const rows = Object.entries(ERRORS).map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.message} |`);
  return ["| code | HTTP | meaning |", "|---|---|---|", ...rows].join("\n");
}

describe("OpenAPI", () => {
  it("documents exactly the routes the server has", async () => {
    const app = createApi({
      core: seq.core,
      batcher: null as never,
      limiter: null as never,
      domain: DOMAIN,
      maxBodyBytes: 1024,
      devDeposits: false,
      recentRecord: () => undefined,
    });
    const routes = new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([a-z]+)/gi, "{$1}")}`));
    const documented = new Set(Object.entries(OPENAPI_PATHS).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)));
    // The WebSocket upgrade is handled beside hono (service.ts), not as a hono route.
    documented.delete("get /v1/stream");
    expect([...routes].sort()).toEqual([...documented].sort());
  });

  it("is served, and its error codes are the table's", async () => {
    const r = await get(seq.url, "/v1/openapi.json");
    expect(r.status).toBe(200);
    expect(r.json.openapi).toBe("3.1.0");
    expect(r.json.components.schemas.Error.properties.code.enum).toEqual(Object.keys(ERRORS));
    const opSchema = r.json.components.schemas.Operation;
    const types = (opSchema.oneOf ?? opSchema.anyOf).map((s: any) => s.properties.type.const);
    expect(types.sort()).toEqual(
      ["AdjustIsolatedMargin", "CancelAll", "CancelOrder", "GrantSessionKey", "Liquidate", "OracleUpdate", "PlaceOrder", "RevokeSessionKey", "SetMarginMode", "SetPortfolioMargin", "Transfer", "Withdraw"].sort(),
    );
    // A signed op the gateway accepts has every field the document requires.
    const op = new Signer(keyOf("docs")).sign({ type: "CancelAll", account: 0, market: 1 } as never);
    const cancelAll = (opSchema.oneOf ?? opSchema.anyOf).find((s: any) => s.properties.type.const === "CancelAll");
    expect(Object.keys(op).sort()).toEqual([...cancelAll.required].sort());
  });
});

describe("docs/api.md", () => {
  it("lists every error code with its status and message", () => {
    const text = readFileSync(DOC, "utf8");
    const start = text.indexOf("<!-- errors:start");
    const end = text.indexOf("<!-- errors:end -->");
    expect(start).toBeGreaterThan(0);
    const open = text.indexOf("-->", start) + 3;
    const current = text.slice(open, end).trim();
    if (process.env.UPDATE_DOCS === "1") writeFileSync(DOC, `${text.slice(0, open)}\n${errorTable()}\n${text.slice(end)}`);
    else expect(current).toBe(errorTable());
  });
});
