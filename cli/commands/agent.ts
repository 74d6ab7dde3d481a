/** `natwatch agent`: runs the node agent until SIGTERM or SIGINT, then flushes and exits 0. */
import os from "node:os";
import type { Command } from "../command";
import { CliFailure, say } from "../io";
import { startAgent } from "../../collectors/node-agent/agent";
import { agentUsage, readAgentConfig } from "../../collectors/node-agent/config";
import { createCommandRunner } from "../../collectors/node-agent/capture/run-command";
import { jsonLineLogger } from "../../collectors/node-agent/log";

export const agentCommand: Command = {
  name: "agent",
  usage: "agent --server URL --token T --cluster C",
  summary: "capture this node's NAT rules and conntrack state and upload them (the node agent)",
  async run(argv) {
    const read = readAgentConfig(argv, process.env, os.hostname());
    if (!read.ok && read.help) {
      say(agentUsage());
      return 0;
    }
    if (!read.ok) throw new CliFailure(`${read.error}\n${agentUsage()}`);
    const config = read.config;
    const log = jsonLineLogger();
    const agent = await startAgent(config, { runner: createCommandRunner(config.execPrefix), now: () => new Date(), log });
    log({ level: "info", msg: "metrics listening", address: `127.0.0.1:${agent.metricsPort}` });
    await new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        log({ level: "info", msg: "stopping", signal });
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        resolve();
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    });
    await agent.stop();
    return 0;
  },
};
