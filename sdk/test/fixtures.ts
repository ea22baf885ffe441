/** Test fixtures: deterministic keys and a tiny real HTTP server on loopback that records requests. */
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export const DOMAIN = { chainId: 31337n, verifyingContract: "0x00000000000000000000000000000000c0ffee01" as const };

/** A fixed key per label, so failures reproduce. */
export const accountOf = (label: string) => privateKeyToAccount(keccak256(toHex(`crossmargin-sdk-test/${label}`)));

export interface Seen {
  method: string;
  path: string;
  body: string;
}

export type Handler = (req: Seen, res: ServerResponse) => void;

/** Starts an HTTP server on 127.0.0.1 (port 0) calling `handler` with each request and its body. */
export async function serve(handler: Handler): Promise<{ url: string; requests: Seen[]; close(): Promise<void> }> {
  const requests: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const seen = { method: req.method ?? "", path: req.url ?? "", body };
      requests.push(seen);
      handler(seen, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

/** A /v1/info answer (the fields the SDK reads) for DOMAIN. */
export const INFO = {
  chainId: String(DOMAIN.chainId),
  verifyingContract: DOMAIN.verifyingContract,
  nonceWindowMs: "60000",
  seq: 0,
  root: `0x${"00".repeat(32)}`,
  clock: "0",
  markets: [],
  assets: [],
};

/** A server answering /v1/info and /v1/accounts/by-owner (index `index` for every owner). */
export function infoServer(index = 7, extra?: Handler) {
  return serve((req, res) => {
    if (req.path === "/v1/info") return json(res, 200, INFO);
    if (req.path.startsWith("/v1/accounts/by-owner/")) return json(res, 200, { index });
    if (extra) return extra(req, res);
    json(res, 404, { code: "NOT_FOUND", message: "no such resource" });
  });
}
