import { expect, it } from "vitest";
import { benchMatching } from "./bench.js";

it("benchMatching runs a synthetic place/cancel/cross stream and reports orders/s", () => {
  const r = benchMatching(5_000);
  expect(r.orders).toBe(5_000);
  expect(r.fills).toBeGreaterThan(500);
  expect(r.cancels).toBeGreaterThan(500);
  expect(r.ordersPerSec).toBeGreaterThan(0);
  // Deterministic stream: the same seed gives the same counts.
  const again = benchMatching(5_000);
  expect([again.fills, again.cancels]).toEqual([r.fills, r.cancels]);
});
