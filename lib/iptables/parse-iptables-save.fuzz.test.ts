/**
 * Fuzzing: deterministic mutations of real inputs. Whatever the damage, the parser must answer with a dump or a
 * typed error pointing inside the input — never throw — and what it accepts must write back to text it reads again
 * the same way.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CAPTURED_LISTING, CAPTURED_SAVE } from "./fixtures/iptables-1.8.9-capture";
import { parseIptablesSave, type ParseOptions } from "./parse-iptables-save";
import { serializeIptablesSave } from "./serialize-iptables-save";
import { tokenizeRule } from "./tokenize-rule";
import { seededRandom } from "../random/seeded-random";

const CORPUS = fileURLToPath(new URL("../../../shared/corpus/", import.meta.url));
const MUTANTS_PER_INPUT = 120;

interface Seed {
  name: string;
  text: string;
  options?: ParseOptions;
}

function seeds(): Seed[] {
  const list: Seed[] = [
    { name: "captured save", text: CAPTURED_SAVE },
    { name: "captured listing", text: CAPTURED_LISTING, options: { defaultTable: "nat" } },
  ];
  for (const file of readdirSync(`${CORPUS}iptables`).filter((name) => name.endsWith(".txt"))) {
    list.push({ name: file, text: readFileSync(`${CORPUS}iptables/${file}`, "utf8") });
  }
  const fragments = readFileSync(`${CORPUS}iptables/017_fragments_not_a_dump.lines`, "utf8")
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .join("\n");
  list.push({ name: "017 fragments", text: fragments, options: { defaultTable: "nat" } });
  for (const file of readdirSync(`${CORPUS}realworld`).filter((name) => name.endsWith(".txt"))) {
    const rules = readFileSync(`${CORPUS}realworld/${file}`, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("-A "))
      .join("\n");
    list.push({ name: `realworld ${file}`, text: rules, options: { defaultTable: "nat" } });
  }
  return list;
}


type Mutation = (text: string, random: () => number) => string;

const pick = (random: () => number, n: number) => Math.floor(random() * n);
const at = (text: string, random: () => number) => pick(random, text.length + 1);
const insert = (piece: string): Mutation => (text, random) => {
  const i = at(text, random);
  return text.slice(0, i) + piece + text.slice(i);
};
const lineMutation = (change: (lines: string[], i: number, random: () => number) => void): Mutation => (text, random) => {
  const lines = text.split("\n");
  change(lines, pick(random, lines.length), random);
  return lines.join("\n");
};

const MUTATIONS: Mutation[] = [
  (text, random) => {
    const i = pick(random, text.length);
    return text.slice(0, i) + text.slice(i + 1);
  },
  (text, random) => {
    const i = pick(random, text.length);
    return text.slice(0, i) + text.slice(i, i + 1) + text.slice(i);
  },
  (text, random) => {
    const i = pick(random, Math.max(1, text.length - 1));
    return text.slice(0, i) + text.slice(i + 1, i + 2) + text.slice(i, i + 1) + text.slice(i + 2);
  },
  insert('"'),
  insert("["),
  insert("!"),
  insert("\\"),
  insert(" ! "),
  insert(" -c 1 2 "),
  insert(" -m "),
  insert(" -j "),
  insert("\r"),
  insert("\t"),
  insert("\n"),
  insert(":"),
  insert("*nat\n"),
  insert("COMMIT\n"),
  (text, random) => insert(String.fromCharCode(pick(random, 256)))(text, random),
  (text, random) => insert(String.fromCharCode(0x80 + pick(random, 0xff80)))(text, random),
  lineMutation((lines, i, random) => {
    lines[i] = (lines[i] ?? "").slice(0, pick(random, (lines[i] ?? "").length + 1));
  }),
  lineMutation((lines, i) => {
    lines.splice(i, 1);
  }),
  lineMutation((lines, i) => {
    lines.splice(i, 0, lines[i] ?? "");
  }),
  lineMutation((lines, i, random) => {
    const j = pick(random, lines.length);
    [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
  }),
  (text, random) => text.slice(0, at(text, random)),
];

function mutate(text: string, random: () => number): string {
  let out = text;
  const count = 1 + pick(random, 4);
  for (let k = 0; k < count; k++) out = (MUTATIONS[pick(random, MUTATIONS.length)] as Mutation)(out, random);
  return out;
}

describe("parseIptablesSave under fuzzing", () => {
  const all = seeds();

  it.each(all.map((seed, index) => [seed.name, seed, index] as const))(
    "%s: mutants are read or refused with a line inside the input, never thrown",
    (_, seed, index) => {
      expect(parseIptablesSave(seed.text, seed.options).ok).toBe(true);
      const random = seededRandom(0x5eed + index * 7919);
      let accepted = 0;
      let refused = 0;
      for (let n = 0; n < MUTANTS_PER_INPUT; n++) {
        const text = mutate(seed.text, random);
        const result = parseIptablesSave(text, seed.options);
        // Reading texts only checks every rule as strictly, and reads the same texts, counters and targets.
        const textsOnly = parseIptablesSave(text, { ...seed.options, ruleOptions: false });
        expect(textsOnly.ok ? "ok" : textsOnly.error).toEqual(result.ok ? "ok" : result.error);
        if (result.ok && textsOnly.ok) {
          expect(serializeIptablesSave(textsOnly.dump)).toBe(serializeIptablesSave(result.dump));
          const targets = (dump: typeof result.dump) => dump.tables.flatMap((t) => t.chains.flatMap((c) => c.rules.map((r) => [r.target, r.goto])));
          expect(targets(textsOnly.dump)).toEqual(targets(result.dump));
        }
        if (!result.ok) {
          refused++;
          const { error } = result;
          const lines = text.split("\n");
          expect(error.kind).toBe("iptables-parse-error");
          expect(error.reason).not.toMatch(/^internal error/);
          expect(error.line).toBeGreaterThanOrEqual(1);
          expect(error.line).toBeLessThanOrEqual(lines.length);
          const line = (lines[error.line - 1] ?? "").replace(/\r$/, "");
          expect(error.column).toBeGreaterThanOrEqual(1);
          expect(error.column).toBeLessThanOrEqual(line.length + 1);
          expect(error.text).toBe(line.slice(0, 200));
          continue;
        }
        accepted++;
        // What was accepted writes back to text that reads back the same.
        const written = serializeIptablesSave(result.dump);
        const again = parseIptablesSave(written, seed.options);
        expect(again.ok).toBe(true);
        if (!again.ok) continue;
        expect(serializeIptablesSave(again.dump)).toBe(written);
        // Options shared within a parse are exactly what each rule's text tokenizes to.
        for (const table of result.dump.tables) {
          for (const chain of table.chains) {
            for (const rule of chain.rules) {
              const alone = tokenizeRule(rule.text);
              expect(alone.ok && alone.rule.options).toEqual(rule.options);
            }
          }
        }
      }
      // Both outcomes occur: the mutations neither all pass unnoticed nor all break the input.
      expect(accepted).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
    },
  );

  it("survives inputs that are not iptables at all", () => {
    const random = seededRandom(42);
    const odd = [
      "",
      "\n\n\n",
      "\0\0\0",
      "*",
      ":",
      "[",
      "[1:",
      "[1:2]",
      "-",
      "-A",
      "- A",
      '"',
      "COMMIT",
      "*nat",
      "*nat\n:",
      "*nat\n:X",
      "*nat\n-A X -m",
      "*nat\n-A X !",
      '*nat\n-A X "',
      "\uFEFF*nat\nCOMMIT\n",
      "x".repeat(100_000),
      Array.from({ length: 2000 }, () => String.fromCharCode(pick(random, 128))).join(""),
    ];
    for (const text of odd) {
      for (const options of [undefined, { defaultTable: "nat" }]) {
        const result = parseIptablesSave(text, options);
        if (!result.ok) {
          expect(result.error.reason).not.toMatch(/^internal error/);
          expect(result.error.line).toBeLessThanOrEqual(text.split("\n").length);
        }
      }
    }
  });
});
