/**
 * The OpenAPI 3.1 document served at /v1/openapi.json. Request schemas come from the same
 * zod schemas the gateway validates with (z.toJSONSchema), error codes from the one table;
 * a test checks that the document's paths are exactly the server's routes.
 */
import { z } from "zod";
import { ERRORS } from "./errors.js";
import { MAX_OPS_PER_REQUEST, SubmittedOpSchema } from "./schema.js";

const json = (schema: object) => ({ content: { "application/json": { schema } } });
const errorRef = { $ref: "#/components/schemas/Error" };
const ok = (description: string, schema: object = { type: "object" }) => ({ description, ...json(schema) });
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { description: "rejection", ...json(errorRef) }]));
const intPath = (name: string) => ({ name, in: "path", required: true, schema: { type: "string", pattern: "^[0-9]+$" } });
const query = (name: string) => ({ name, in: "query", required: false, schema: { type: "string", pattern: "^[0-9]+$" } });
const opRef = { $ref: "#/components/schemas/Operation" };

/** Paths with their operations; `{x}` is OpenAPI's path parameter syntax. */
export const OPENAPI_PATHS: Record<string, Record<string, object>> = {
  "/v1/info": { get: { summary: "chain id, Rollup address (EIP-712 domain), markets, assets, log head", responses: { 200: ok("info") } } },
  "/v1/op": {
    post: { summary: "submit one signed operation", requestBody: json(opRef), responses: { 200: ok("receipt", { $ref: "#/components/schemas/Receipt" }), ...errors(400, 401, 404, 409, 413, 422, 429, 503) } },
  },
  "/v1/ops": {
    post: {
      summary: `submit 1..${MAX_OPS_PER_REQUEST} signed operations; each result is a receipt or an error`,
      requestBody: json({ type: "object", required: ["ops"], properties: { ops: { type: "array", items: opRef, minItems: 1, maxItems: MAX_OPS_PER_REQUEST } } }),
      responses: { 200: ok("results in request order"), ...errors(400, 413) },
    },
  },
  "/v1/orders/modify": {
    post: {
      summary: "cancel-replace: a CancelOrder then a PlaceOrder",
      requestBody: json({ type: "object", required: ["cancel", "place"], properties: { cancel: opRef, place: opRef } }),
      responses: { 200: ok("both receipts"), ...errors(400, 401, 404, 409, 413, 422, 429) },
    },
  },
  "/v1/deadman": {
    post: {
      summary: "dead-man's switch: hold a pre-signed CancelAll until `at` (ms); post again to push it back, at = 0 disarms",
      requestBody: json({ type: "object", required: ["cancelAll", "at"], properties: { cancelAll: opRef, at: { type: "string" } } }),
      responses: { 200: ok("scheduled"), ...errors(400, 401, 404) },
    },
  },
  "/v1/accounts/{index}": { get: { parameters: [intPath("index")], responses: { 200: ok("account view"), ...errors(400, 404) } } },
  "/v1/accounts/by-owner/{address}": {
    get: { parameters: [{ name: "address", in: "path", required: true, schema: { type: "string" } }], responses: { 200: ok("account index"), ...errors(400, 404) } },
  },
  "/v1/markets": { get: { responses: { 200: ok("markets", { type: "array" }) } } },
  "/v1/markets/{id}/book": { get: { parameters: [intPath("id"), query("levels")], responses: { 200: ok("aggregated depth, best first"), ...errors(400, 404) } } },
  "/v1/ops/{seq}": { get: { parameters: [intPath("seq")], responses: { 200: ok("logged operation"), ...errors(400, 404) } } },
  "/v1/batches": { get: { parameters: [query("from"), query("limit")], responses: { 200: ok("sealed batches", { type: "array" }), ...errors(400) } } },
  "/v1/batches/{index}": { get: { parameters: [intPath("index")], responses: { 200: ok("a sealed batch"), ...errors(400, 404) } } },
  "/v1/openapi.json": { get: { responses: { 200: ok("this document") } } },
  "/v1/verifier": {
    get: {
      summary: "the configured verifier's judgement (--verifier-url): last verified batch against this sequencer's root, disputes with reasons, lag",
      responses: { 200: ok("verifier summary"), ...errors(404, 502, 503) },
    },
  },
  "/metrics": { get: { summary: "Prometheus text exposition (docs/sequencer.md, Metrics)", responses: { 200: { description: "metrics", content: { "text/plain": { schema: { type: "string" } } } }, ...errors(404) } } },
  "/v1/dev/deposit": {
    post: {
      summary: "dev mode only: a Deposit L1 input standing in for the L1 vault",
      requestBody: json({ type: "object", required: ["owner", "asset", "amount"], properties: { owner: { type: "string" }, asset: { type: "integer" }, amount: { type: "string" } } }),
      responses: { 200: ok("account and seq"), ...errors(400, 403, 422) },
    },
  },
  "/v1/withdrawals/{index}/proof": {
    get: {
      summary: "SSZ proof of a withdrawal record against an L1 batch's post-state root (Vault.claimWithdrawal's arguments)",
      parameters: [intPath("index"), { name: "batch", in: "query", required: false, schema: { type: "string" } }],
      responses: { 200: ok("withdrawal proof"), ...errors(400, 404) },
    },
  },
  "/v1/accounts/{index}/exit-proof": {
    get: {
      summary: "After a freeze: an account's exit proofs against an L1 batch's post-state root (Vault.exit, proveMarket, proveAsset arguments)",
      parameters: [intPath("index"), { name: "batch", in: "query", required: false, schema: { type: "string" } }],
      responses: { 200: ok("exit proof bundle"), ...errors(400, 404) },
    },
  },
  "/v1/margin/what-if": {
    post: {
      summary: "What-if margin: a portfolio (an existing account, or collateral and positions) under isolated, cross and portfolio margin side by side",
      requestBody: { required: true, content: { "application/json": { schema: { type: "object" } } } },
      responses: { 200: ok("requirements per margin mode"), ...errors(400, 404, 413) },
    },
  },
  "/v1/accounts/{index}/nav": {
    get: {
      summary: "NAV history: the account's net value after each sealed batch of a range (at most 1,000), final or not on L1",
      parameters: [intPath("index"), { name: "from", in: "query", required: false, schema: { type: "string" } }, { name: "to", in: "query", required: false, schema: { type: "string" } }],
      responses: { 200: ok("NAV history"), ...errors(400, 404) },
    },
  },
  "/v1/audit": {
    get: {
      summary: "The audit trail: liquidations, default-waterfall steps and ADL, by account, market, batch or kind, as JSON or CSV",
      parameters: ["account", "market", "batch", "kind", "socialized", "after", "limit", "format"].map((name) => ({ name, in: "query", required: false, schema: { type: "string" } })),
      responses: { 200: ok("audit entries (JSON) or text/csv"), ...errors(400, 404) },
    },
  },
  "/v1/reserves": {
    get: {
      summary: "Proof of reserves: the state's liabilities per asset at an L1 batch's root against the Vault's balance on L1 at that batch's block (L1 mode)",
      parameters: [{ name: "batch", in: "query", required: false, schema: { type: "string" } }],
      responses: { 200: ok("reserves report"), ...errors(400, 404, 503) },
    },
  },
  "/v1/l1/batches": {
    get: {
      summary: "L1 mode: sealed batches as L1 sees them (the poster's latest attempt, the Rollup's stored root and timestamp, finality and seconds left in the challenge window at the L1 head)",
      parameters: [query("from"), query("limit")],
      responses: { 200: ok("challengeWindow, head, nextBatchIndex, batches"), ...errors(400, 404, 503) },
    },
  },
  "/v1/l1/disputes": {
    get: {
      summary: "L1 mode: the DisputeGame's bisection games with their moves in order and its one-transaction fault proofs, read from its events at the L1 head",
      responses: { 200: ok("disputeGame, head, fromBlock, games, faultProofs"), ...errors(404, 503) },
    },
  },
  "/": { get: { summary: "the dashboard (HTML; docs/sequencer.md, Dashboard)", responses: { 200: { description: "the dashboard page", content: { "text/html": { schema: { type: "string" } } } } } } },
  "/dashboard/{file}": {
    get: {
      summary: "the dashboard's script and stylesheet (app.js, style.css)",
      parameters: [{ name: "file", in: "path", required: true, schema: { type: "string", enum: ["index.html", "app.js", "style.css"] } }],
      responses: { 200: { description: "the file", content: { "text/javascript": { schema: { type: "string" } }, "text/css": { schema: { type: "string" } } } }, ...errors(404) },
    },
  },
  "/v1/stream": { get: { summary: "WebSocket upgrade: the stream of docs/api.md", responses: { 101: { description: "switching protocols" } } } },
};

let cached: object | null = null;

export function openApiDocument(): object {
  cached ??= {
    openapi: "3.1.0",
    info: { title: "Crossmargin sequencer API", version: "1", description: "docs/api.md" },
    paths: OPENAPI_PATHS,
    components: {
      schemas: {
        Operation: z.toJSONSchema(SubmittedOpSchema, { io: "input", unrepresentable: "any" }),
        Error: {
          type: "object",
          required: ["code", "message"],
          properties: { code: { type: "string", enum: Object.keys(ERRORS) }, message: { type: "string" }, field: { type: "string" } },
        },
        Receipt: {
          type: "object",
          required: ["seq", "timestamp", "ok", "events", "fills"],
          properties: { seq: { type: "string" }, timestamp: { type: "string" }, ok: { type: "boolean" }, events: { type: "array" }, fills: { type: "array" }, detached: { type: "array" } },
        },
      },
    },
  };
  return cached;
}
