/**
 * The dashboard (docs/sequencer.md §Dashboard): GET / serves sequencer/dashboard/index.html and
 * GET /dashboard/:file its script and stylesheet. No build step: plain HTML and one ES module
 * that reads the same public API a desk uses (/v1/info, /v1/l1/batches, /v1/verifier, ...) and
 * the /v1/stream WebSocket, so it shows nothing an API client could not check.
 *
 * The files are read once at startup into memory: the set is fixed (an allowlist, so no path
 * from a request ever reaches the file system) and small (tens of KiB).
 */
import { readFileSync } from "node:fs";
import type { Hono } from "hono";
import { ApiError } from "./errors.js";

const DIR = new URL("../dashboard/", import.meta.url);

const FILES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

let loaded: Map<string, string> | null = null;

function files(): Map<string, string> {
  loaded ??= new Map(Object.keys(FILES).map((name) => [name, readFileSync(new URL(name, DIR), "utf8")]));
  return loaded;
}

export function registerDashboard(app: Hono): void {
  // The page only talks to this origin; a strict CSP keeps injected markup inert.
  const headers = (type: string) => ({
    "content-type": type,
    "cache-control": "no-cache",
    "content-security-policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'",
    "x-content-type-options": "nosniff",
  });
  app.get("/", (c) => c.body(files().get("index.html")!, 200, headers(FILES["index.html"]!)));
  app.get("/dashboard/:file", (c) => {
    const name = c.req.param("file");
    const type = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
    if (type === undefined) throw new ApiError("NOT_FOUND", `no dashboard file ${name} (there are ${Object.keys(FILES).join(", ")})`, "file");
    return c.body(files().get(name)!, 200, headers(type));
  });
}
