import { expect, test } from "@playwright/test";
import { OverviewPage } from "./pages/overview-page";
import { CLUSTER, apiNodes, apiServicePorts, disagreeingNodes } from "./pages/read-api";

/** The overview's stale threshold (components/node/stale-badge.tsx). */
const STALE_AFTER_MS = 5 * 60_000;

test.describe("overview of the demo cluster", () => {
  test("lists the seed's four nodes and its service ports, with the stuck node out of agreement", async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.open("myk8s");
    await expect(overview.table("Nodes").getByRole("row")).toHaveCount(5); // header + 4 nodes
    for (const node of ["myk8s-control-plane", "myk8s-worker", "myk8s-worker2", "myk8s-worker3"]) {
      await expect(overview.row("Nodes", node)).toHaveCount(1);
    }
    const web = overview.row("Service ports", "default/svc-clusterip:svc-webport");
    await expect(web).toContainText("10.200.1.201:9000");
    await expect(web).toContainText("30007");
    await expect(web).toContainText("3/4");
    await expect(overview.row("Service ports", "kube-system/kube-dns:dns")).toContainText("4/4");
    await page.screenshot({ path: "test-results/screenshots/overview.png", fullPage: true });
  });

  test("shows the latest changes with the pod event that caused them", async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.open("myk8s");
    const changes = overview.table("Latest changes");
    await expect(changes).toContainText("KUBE-SEP-");
    await expect(changes).toContainText(/Pod webpod\d (ADDED|DELETED)/);
  });

  test("shows every node as the read API knows it: role, mode, chains, staleness, agreement", async ({ page, request }) => {
    const [nodes, ports] = await Promise.all([apiNodes(request), apiServicePorts(request)]);
    const differing = disagreeingNodes(ports);
    const overview = new OverviewPage(page);
    await overview.open(CLUSTER);
    await expect(overview.table("Nodes").getByRole("row")).toHaveCount(nodes.length + 1);
    const renderedAt = Date.now();
    for (const node of nodes) {
      const row = overview.row("Nodes", node.name);
      await expect(await overview.cell("Nodes", row, "role")).toHaveText(node.role);
      await expect(await overview.cell("Nodes", row, "kube-proxy mode")).toContainText(node.mode!);
      await expect(await overview.cell("Nodes", row, "chains")).toHaveText(node.current.ipv4!.chains.toLocaleString("en"));
      await expect(await overview.cell("Nodes", row, "conntrack")).toContainText("%");
      const stale = renderedAt - Date.parse(node.lastCaptureAt) > STALE_AFTER_MS;
      await expect((await overview.cell("Nodes", row, "last capture")).getByText("stale", { exact: true })).toHaveCount(stale ? 1 : 0);
      await expect(await overview.cell("Nodes", row, "agreement")).toHaveText(differing.has(node.name) ? /^differs/ : "agrees");
    }
    expect(differing.size).toBeGreaterThan(0);
  });

  test("links each node to a compare with a node on the other side of the disagreement", async ({ page, request }) => {
    const [nodes, ports] = await Promise.all([apiNodes(request), apiServicePorts(request)]);
    const differing = disagreeingNodes(ports);
    const overview = new OverviewPage(page);
    await overview.open(CLUSTER);
    for (const node of nodes) {
      const href = new URL((await overview.compareLink(node.name).getAttribute("href"))!, "http://x");
      expect(href.pathname).toBe("/compare");
      expect(href.searchParams.get("a")).toBe(node.name);
      const peer = href.searchParams.get("b")!;
      // A disagreeing node is compared with one that agrees, and every agreeing node with a disagreeing one.
      expect(differing.has(peer)).toBe(!differing.has(node.name));
    }
    const stuck = [...differing][0]!;
    await overview.compareLink(stuck).click();
    await expect(page).toHaveURL(new RegExp(`/compare\\?.*a=${stuck}`));
    await expect(page.getByRole("heading", { name: "Service differences" })).toBeVisible();
  });
});
