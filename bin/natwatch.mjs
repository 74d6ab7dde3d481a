#!/usr/bin/env node
// natwatch's command line. The commands are TypeScript; tsx compiles them on the fly so that the CLI, the app and
// the collectors share one source tree without a build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
