import { expect, test } from "@playwright/test";
import { NodePage } from "./pages/node-page";
import { CLUSTER, apiNodes, apiServicePorts, disagreeingNodes, getJson, type ApiSnapshot } from "./pages/read-api";

test.describe("node page", () => {
  test("shows the node's snapshot history as intervals, each linking to its snapshot", async ({ page, request }) => {
    const ports = await apiServicePorts(request);
    const stuck = [...disagreeingNodes(ports)][0]!;
    const { snapshots } = await getJson<{ snapshots: ApiSnapshot[] }>(request, `/api/v1/clusters/${CLUSTER}/nodes/${stuck}/snapshots?from=1h&family=ipv4`);
    const node = new NodePage(page);
    await node.open(stuck);
    await expect(node.heading()).toHaveText(stuck);
    await expect(page.getByRole("status").filter({ hasText: "differ from the majority" })).toContainText("default/svc-clusterip");
    await expect(node.intervals()).toHaveCount(snapshots.length);
    // The page's range (1h) and the API's were taken a moment apart: compare the sets of snapshot ids.
    const hrefs = await node.intervals().evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? ""));
    const ids = hrefs.map((h) => Number(/\/snapshots\/(\d+)/.exec(h)?.[1])).sort((a, b) => a - b);
    expect(ids).toEqual(snapshots.map((s) => s.id).sort((a, b) => a - b));
    await expect(node.snapshotsTable().getByRole("row")).toHaveCount(snapshots.length + 1);
    await page.screenshot({ path: "test-results/screenshots/node.png", fullPage: true });

    const newest = snapshots[0]!;
    await node.intervals().and(page.locator(`[href*="/snapshots/${newest.id}?"]`)).click();
    await expect(page).toHaveURL(new RegExp(`/nodes/${stuck}/snapshots/${newest.id}`));
    await expect(page.getByRole("heading", { level: 1 })).toContainText(`snapshot #${newest.id}`);
  });

  test("charts conntrack against its limit with the per-CPU statistics, and lists live flows per service port", async ({ page, request }) => {
    const [nodes, ports] = await Promise.all([apiNodes(request), apiServicePorts(request)]);
    const controlPlane = nodes.find((n) => n.role === "control-plane")!;
    const conntrack = await getJson<{ points: { count: number; max: number }[] }>(request, `/api/v1/clusters/${CLUSTER}/nodes/${controlPlane.name}/conntrack?from=1h`);
    expect(conntrack.points.length).toBeGreaterThan(0);
    const node = new NodePage(page);
    await node.open(controlPlane.name);
    await expect(node.conntrackCharts()).toHaveCount(2);
    // recharts draws in the browser: both charts have their SVG once hydrated.
    for (const chart of await node.conntrackCharts().all()) await expect(chart.locator("svg.recharts-surface").first()).toBeVisible();
    const peak = Math.max(...conntrack.points.map((p) => p.count));
    await expect(node.conntrackCharts().first()).toContainText(`peak ${peak.toLocaleString("en")} of ${conntrack.points[0]!.max.toLocaleString("en")}`);
    await expect(node.perCpuTable().getByRole("columnheader", { name: "insert_failed" })).toBeVisible();
    expect(await node.perCpuTable().getByRole("row").count()).toBeGreaterThan(1);

    const names = new Set(ports.map((p) => p.name));
    const captions = await node.flowTables().evaluateAll((tables) => tables.map((t) => t.querySelector("caption .font-mono")?.textContent ?? ""));
    expect(captions.length).toBeGreaterThan(0);
    for (const caption of captions) expect(names.has(caption), `${caption} is a service port`).toBe(true);
  });

  test("says so for a node the cluster does not have", async ({ page }) => {
    const node = new NodePage(page);
    await node.open("myk8s-worker9");
    await expect(page.getByRole("heading", { name: "No such node or snapshot" })).toBeVisible();
  });
});
