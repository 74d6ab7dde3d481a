/**
 * The pages against what the lab's seed scenario really did: the requests it sent through the ClusterIP, the pod it
 * restarted with one node's kube-proxy late, and the node whose kube-proxy it stopped. The expected figures come
 * from the scenario's own account (its replies' Hostnames, its clock), not from natwatch.
 */
import { expect, test } from "@playwright/test";
import { formatShare } from "../../lib/dashboard/format";
import { ServicePortPage } from "./pages/service-port-page";
import { readScenario, scenarioStep } from "./support/scenario";


test.describe("the seed scenario as natwatch shows it", () => {

  test("the ClusterIP's requests: each endpoint configured at one third, observed as many times as it answered", async ({ page }) => {
    const run = readScenario();
    const step = scenarioStep(run, "curl-clusterip");
    const curl = step.curl!;
    const [namespace, rest] = run.service.servicePort.split("/") as [string, string];
    const view = new ServicePortPage(page);
    // A window around the request loop: from the step's start to the capture that showed it on every node.
    await view.open(`${namespace}~${rest}`, "tcp", { range: "custom", from: step.startedAt, to: step.endedAt });

    const endpoints = Object.keys(curl.endpoints);
    expect(endpoints).toHaveLength(3);
    for (const endpoint of endpoints) {
      const cells = view.observedRow(endpoint).getByRole("cell");
      await expect(cells.nth(0)).toHaveText(formatShare(1 / 3));
      // "all nodes": the requests left net-pod's node only, so its counters are all there is.
      await expect(cells.nth(2)).toHaveText(String(curl.endpoints[endpoint]));
    }
    await expect(view.observedTotal.getByRole("cell").nth(2)).toHaveText(String(curl.requests - sum(curl.errors)));
  });

  test("webpod2's restart reached every node, the lagging node last and at least its lag late", async ({ page }) => {
    const run = readScenario();
    const restart = scenarioStep(run, "restart-webpod2");
    const [namespace, rest] = run.service.servicePort.split("/") as [string, string];
    const view = new ServicePortPage(page);
    await view.open(`${namespace}~${rest}`, "tcp", { range: "custom", from: restart.startedAt, to: restart.endedAt });

    const newPod = restart.pods.find((p) => p.name === "webpod2")!;
    const entry = view.timelineEntry(newPod.ip).first();
    await expect(entry).toBeVisible();
    const delays = new Map<string, number>();
    for (const node of run.nodes) {
      const row = view.entryNodeRow(entry, node.name);
      await expect(row, `${node.name} followed the restart`).toBeVisible();
      // Cells: applied at, delay after the first node, delay after the pod event.
      delays.set(node.name, parseSeconds(await row.getByRole("cell").nth(2).innerText()));
    }
    const lagging = delays.get(run.laggingNode.name)!;
    expect(lagging).toBeGreaterThanOrEqual(run.laggingNode.lagMs / 1000 - 0.2);
    for (const [node, delay] of delays) if (node !== run.laggingNode.name) expect(delay, node).toBeLessThan(lagging);
  });
});

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** A delay as formatDelay writes it under a minute ("0 s", "4.2 s") in seconds. */
function parseSeconds(text: string): number {
  const match = /^([\d.]+) s$/.exec(text.trim());
  if (!match) throw new Error(`no delay in ${JSON.stringify(text)}`);
  return Number(match[1]);
}
