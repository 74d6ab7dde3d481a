/**
 * Deterministic mutations of real inputs (every corpus script and the captured listings): whatever comes in, the parser
 * answers with a value and the model builder with a model. A seeded generator keeps every run, and every failure,
 * reproducible.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildNftProxyModel } from "./build-nft-model";
import { parseNftRuleset } from "./parse-nft-ruleset";
import { seededRandom } from "../random/seeded-random";

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, "../../../shared/corpus/nftables");
const inputs: [string, string][] = [
  ...readdirSync(corpus).filter((f) => f.endsWith(".nft")).map((f): [string, string] => [f, readFileSync(path.join(corpus, f), "utf8")]),
  ...readdirSync(path.join(here, "fixtures")).map((f): [string, string] => [f, readFileSync(path.join(here, "fixtures", f), "utf8")]),
];

const random = seededRandom;

const SPECIALS = ['"', "{", "}", ",", ";", ":", ".", "@", "#", "\n", " ", "\\", "-", "0", "\t", "!=", "\u00e9", "\x01"];
const WORDS = ["goto", "jump", "vmap", "numgen random mod 0", "dnat to", "counter packets", "elements = {", "chain", "table", "add", "delete", "flush", "comment \"x", "handle", "}"];

function mutate(source: string, next: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const at = Math.floor(next() * (source.length + 1));
  const lines = source.split("\n");
  const line = Math.floor(next() * lines.length);
  switch (Math.floor(next() * 8)) {
    case 0:
      return source.slice(0, at) + source.slice(at + 1 + Math.floor(next() * 20));
    case 1:
      return source.slice(0, at) + pick(SPECIALS) + source.slice(at);
    case 2:
      return source.slice(0, at) + pick(WORDS) + source.slice(at);
    case 3:
      return source.slice(0, at);
    case 4:
      lines.splice(line, 0, lines[Math.floor(next() * lines.length)]!);
      return lines.join("\n");
    case 5: {
      const other = Math.floor(next() * lines.length);
      [lines[line], lines[other]] = [lines[other]!, lines[line]!];
      return lines.join("\n");
    }
    case 6:
      lines.splice(line, 1);
      return lines.join("\n");
    default: {
      // Replace one word of a line with a word from elsewhere in the input.
      const words = lines[line]!.split(" ");
      const donor = pick(source.split(/\s+/));
      words[Math.floor(next() * words.length)] = donor;
      lines[line] = words.join(" ");
      return lines.join("\n");
    }
  }
}

describe("nft parser and model under mutation", () => {
  it.each(inputs)("%s: 300 mutations never throw", (_name, source) => {
    const next = random(source.length);
    let rejected = 0;
    for (let i = 0; i < 300; i++) {
      let mutated = mutate(source, next);
      if (next() < 0.3) mutated = mutate(mutated, next);
      const result = parseNftRuleset(mutated);
      if (!result.ok) {
        rejected++;
        expect(result.error.kind).toBe("nft-parse-error");
        expect(result.error.line).toBeGreaterThanOrEqual(1);
        expect(result.error.reason).not.toMatch(/internal parser error/);
        continue;
      }
      const model = buildNftProxyModel(result.ruleset);
      expect(model.mode).toBe("nftables");
      expect(() => JSON.stringify(model)).not.toThrow();
    }
    // Some mutations must be refused: garbage is rejected, not skipped.
    expect(rejected).toBeGreaterThan(0);
  });
});
