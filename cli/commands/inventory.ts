import type { Command } from "../command";
import { CliFailure, say } from "../io";
import { INVENTORY_USAGE, InventoryConfigError, readInventoryConfig } from "../../collectors/kube-inventory/config";

/** `natwatch inventory`: runs kube-inventory, the per-cluster collector of Kubernetes events, until SIGTERM. */
export const inventoryCommand: Command = {
  name: "inventory",
  usage: "inventory --server URL --token T --cluster C --kubeconfig FILE",
  summary: "watch a cluster's Pods, Services, EndpointSlices and Nodes and post their events",
  async run(argv) {
    let config;
    try {
      config = readInventoryConfig(argv, process.env);
    } catch (error) {
      if (error instanceof InventoryConfigError) throw new CliFailure(`${error.message}\n${INVENTORY_USAGE}`);
      throw error;
    }
    if (config === "help") {
      say(INVENTORY_USAGE);
      return 0;
    }
    // Loaded on demand: @kubernetes/client-node takes a while to import, and other commands do not need it.
    const { runInventory } = await import("../../collectors/kube-inventory/run-inventory");
    return runInventory(config);
  },
};
