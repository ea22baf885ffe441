/**
 * Request ids for the API (hono middleware): each request gets an id, echoed in the
 * `x-request-id` response header and put on its log line, so a desk's report of a failed
 * call ("x-request-id: …") finds the sequencer's line. A caller's own id is kept when it is
 * a plain token (≤ 64 of `A-Za-z0-9._:-`), so a gateway or a desk can trace one id across
 * hops; anything else is replaced (it would land verbatim in the logs).
 */
import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../log.js";

export const REQUEST_ID_HEADER = "x-request-id";
const TOKEN = /^[A-Za-z0-9._:-]{1,64}$/;

export function requestLog(log: Logger): MiddlewareHandler {
  return async (c, next) => {
    const given = c.req.header(REQUEST_ID_HEADER);
    const reqId = given !== undefined && TOKEN.test(given) ? given : randomUUID();
    const t0 = performance.now();
    await next();
    c.res.headers.set(REQUEST_ID_HEADER, reqId);
    const status = c.res.status;
    const line = { reqId, method: c.req.method, path: c.req.path, status, ms: Math.round((performance.now() - t0) * 10) / 10 };
    // PERF: a line per request would cost the hot POST /v1/ops path at thousands of ops/s;
    // successes and client errors are debug, server errors always show.
    if (status >= 500) {
      // The API's answer names the failure (`{ code, message }`); on this line it joins the
      // request id to the cause. 5xx are rare, so reading a copy of the body costs nothing.
      const answer = await c.res
        .clone()
        .text()
        .catch(() => "");
      log.error({ ...line, event: "request_failed", answer: answer.slice(0, 1000) });
    }
    else log.debug({ ...line, event: "request" });
  };
}
