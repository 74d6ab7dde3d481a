/**
 * `npm run build:collectors`: the collectors as single-file bundles, dist/collectors/agent.mjs and
 * dist/collectors/inventory.mjs, which the container images run with plain `node`.
 *
 * `natwatch` compiles TypeScript on the fly through tsx and loads the whole CLI; on a node agent that alone is about
 * 70 MB of resident memory before a rule is read, half the agent's 150 MB budget. A bundle carries one command, its
 * collector and the pure lib/ modules they import, already compiled. Each bundle runs its command through the same
 * runCommand as `natwatch`, so flags, environment, --help, messages and exit statuses are the same.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { isMain, repoRoot } from "./db-cli";

/**
 * The bundles: output name → the CLI module and the command it exports, and the flags `node` runs it with (the
 * images' ENTRYPOINT, and the agent bench, use these).
 *
 * The agent's young generation is held to 2 MB semi-spaces: a capture streams ≈25 MB of dump text through short-lived
 * strings, and V8 otherwise grows the young generation to its 16 MB semi-spaces for it, ≈35 MB of the agent's peak
 * RSS on a 10k-service node (the heap it keeps is ≈25 MB). V8 reads this flag only when it sets up the heap, so it
 * cannot be set from inside the bundle.
 */
export const COLLECTOR_BUNDLES = {
  agent: { module: "./cli/commands/agent", command: "agentCommand", nodeFlags: ["--max-semi-space-size=2"] },
  inventory: { module: "./cli/commands/inventory", command: "inventoryCommand", nodeFlags: [] },
} as const;

export type CollectorBundle = keyof typeof COLLECTOR_BUNDLES;

/** Where the bundles go. */
export const collectorsDist = path.join(repoRoot, "dist/collectors");

/** Builds every bundle; resolves to their paths by name. */
export async function buildCollectors(outDir: string = collectorsDist): Promise<Record<CollectorBundle, string>> {
  mkdirSync(outDir, { recursive: true });
  const built = {} as Record<CollectorBundle, string>;
  for (const [name, entry] of Object.entries(COLLECTOR_BUNDLES) as [CollectorBundle, (typeof COLLECTOR_BUNDLES)[CollectorBundle]][]) {
    const outfile = path.join(outDir, `${name}.mjs`);
    await build({
      stdin: {
        contents: [
          `import { runCommand } from "./cli/run-command";`,
          `import { ${entry.command} } from "${entry.module}";`,
          `process.exitCode = await runCommand(${entry.command}, process.argv.slice(2));`,
        ].join("\n"),
        resolveDir: repoRoot,
        sourcefile: `${name}-entry.ts`,
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile,
      // Bundled CommonJS dependencies (those of @kubernetes/client-node) call require() for Node's own modules,
      // which an ES module lacks.
      banner: { js: `import { createRequire as __natwatchRequire } from "node:module";\nconst require = __natwatchRequire(import.meta.url);` },
      legalComments: "none",
      logLevel: "warning",
    });
    built[name] = outfile;
  }
  return built;
}

if (isMain(import.meta.url)) {
  for (const [name, file] of Object.entries(await buildCollectors())) process.stdout.write(`${name}: ${path.relative(repoRoot, file)}\n`);
}
