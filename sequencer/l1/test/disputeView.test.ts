/**
 * The names GET /v1/l1/disputes gives the DisputeGame's enum values are the contract's, in
 * its order: the ABI carries only numbers, so a reordered or added enum member in
 * DisputeGame.sol would silently mislabel every game the dashboard shows.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FAULT, GAME_STATUS, OUTCOME, PARTY } from "../disputeView.js";

const SOURCE = readFileSync(new URL("../../../contracts/src/DisputeGame.sol", import.meta.url), "utf8");

/** The members of `enum name { ... }` (comments stripped), lower camel case. */
function members(name: string): string[] {
  const m = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(SOURCE);
  if (!m) throw new Error(`no enum ${name} in DisputeGame.sol`);
  return m[1]!
    .replace(/\/\/[^\n]*/g, "")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => s[0]!.toLowerCase() + s.slice(1));
}

describe("disputeView enum names", () => {
  it("are DisputeGame.sol's Status, Party, Outcome and Fault in order", () => {
    expect([...GAME_STATUS]).toEqual(members("Status"));
    expect([...PARTY]).toEqual(members("Party"));
    expect([...OUTCOME]).toEqual(members("Outcome"));
    expect([...FAULT]).toEqual(members("Fault"));
  });
});
