import { expect, test, type APIRequestContext } from "@playwright/test";
import { formatDelay } from "../../lib/dashboard/format";
import { ServicePortPage } from "./pages/service-port-page";

const CLUSTER = "myk8s";
/** The demo's service (the seed's svc-clusterip), as the API names it. */
const QUERY = "svc-clusterip";

interface ApiEndpoint {
  address: string;
  sepChain: string;
  share: number;
  probabilityText: string | null;
}
interface ApiNode {
  node: string;
  present: boolean;
  agrees: boolean;
  svcChain: string | null;
  extChain: string | null;
  endpoints: ApiEndpoint[];
}
interface ApiPort {
  name: string;
  segment: string;
  protocol: string;
  nodes: ApiNode[];
}
interface ApiChange {
  at: string;
  node: string;
  kind: string;
  delayMs: number;
  detail: { endpoint?: { address: string; sepChain: string }; replaces?: string; replacedBy?: string };
  cause: { name: string; type: string } | null;
}

async function getJson<T>(request: APIRequestContext, path: string): Promise<T> {
  const response = await request.get(path);
  expect(response.ok(), `${path}: ${response.status()}`).toBe(true);
  return (await response.json()) as T;
}

async function webPort(request: APIRequestContext, at?: string): Promise<ApiPort> {
  const list = await getJson<{ servicePorts: ApiPort[] }>(request, `/api/v1/clusters/${CLUSTER}/services?q=${QUERY}${at ? `&at=${at}` : ""}`);
  expect(list.servicePorts).toHaveLength(1);
  return list.servicePorts[0] as ApiPort;
}

async function changes(request: APIRequestContext, port: ApiPort, query = ""): Promise<ApiChange[]> {
  const body = await getJson<{ changes: ApiChange[] }>(request, `/api/v1/clusters/${CLUSTER}/services/${port.segment}/changes?limit=1000${query}`);
  return body.changes;
}

test.describe("service view of the demo's svc-clusterip", () => {
  test("draws the chain path, with KUBE-EXT only once the node has the node port", async ({ page, request }) => {
    const port = await webPort(request);
    const view = new ServicePortPage(page);
    const [firstNodePort] = (await changes(request, port, "&kind=path-added")).sort((a, b) => a.at.localeCompare(b.at));
    expect(firstNodePort).toBeDefined();
    const { node, at } = firstNodePort as ApiChange;
    const before = new Date(Date.parse(at) - 1000).toISOString();
    const from = new Date(Date.parse(at) - 3_600_000).toISOString();

    // Just before the NodePort change: the cluster IP path only.
    const then = (await webPort(request, before)).nodes.find((n) => n.node === node) as ApiNode;
    expect(then.extChain).toBeNull();
    await view.open(port.segment, port.protocol, { cluster: CLUSTER, node, range: "custom", from, to: before });
    await expect(view.flow(node)).toContainText(then.svcChain as string);
    await expect(view.flow(node)).toContainText("KUBE-SERVICES");
    await expect(view.flow(node)).not.toContainText("KUBE-EXT-");

    // From the change on: KUBE-NODEPORTS → KUBE-EXT → KUBE-SVC, every hashed chain name verified.
    const now = port.nodes.find((n) => n.node === node) as ApiNode;
    expect(now.extChain).toMatch(/^KUBE-EXT-/);
    await view.open(port.segment, port.protocol, { cluster: CLUSTER, node, range: "custom", from, to: at });
    await expect(view.flow(node)).toContainText("KUBE-NODEPORTS");
    await expect(view.flow(node)).toContainText(now.extChain as string);
    await expect(view.flow(node)).toContainText(now.svcChain as string);
    await expect(view.flow(node)).not.toContainText("hash mismatch");
    await expect(view.flow(node).getByText("hash verified")).not.toHaveCount(0);
  });

  test("lists the endpoints with the probability as written and the effective shares", async ({ page, request }) => {
    const port = await webPort(request);
    const view = new ServicePortPage(page);
    await view.open(port.segment, port.protocol, { cluster: CLUSTER });
    await expect(view.heading).toHaveText(port.name);
    // By default the view shows a node of the majority; the one that disagrees is marked in the selector.
    const shown = port.nodes.find((n) => n.present && n.agrees) as ApiNode;
    await expect(view.nodeLink(shown.node)).toHaveAttribute("aria-current", "page");
    for (const n of port.nodes.filter((n) => !n.agrees)) await expect(view.nodeLink(n.node)).toContainText("disagrees");

    const rows = view.endpointRows(shown.node);
    await expect(rows).toHaveCount(shown.endpoints.length);
    const shares = await view.endpoints(shown.node).locator("[data-share]").evaluateAll((cells) => cells.map((c) => Number(c.getAttribute("data-share"))));
    expect(shares).toHaveLength(shown.endpoints.length);
    // Equal weights: each endpoint gets 1/n (one third for the seed's three pods), and the ladder adds up to 1.
    for (const share of shares) expect(share).toBeCloseTo(1 / shown.endpoints.length, 6);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    for (const e of shown.endpoints) {
      const row = rows.filter({ hasText: e.address });
      await expect(row).toContainText(e.sepChain);
      await expect(row).toContainText(e.probabilityText ?? "last rule");
      await expect(row).toContainText(`${(e.share * 100).toFixed(1)} %`);
    }
    await page.screenshot({ path: "test-results/screenshots/service-port.png", fullPage: true });
  });

  test("charts configured vs observed connections with the counts the API sums", async ({ page, request }) => {
    const port = await webPort(request);
    const to = new Date().toISOString();
    const from = new Date(Date.now() - 3 * 3_600_000).toISOString();
    type Traffic = { overall: { newConnections: number; endpoints: { endpoint: string; newConnections: number }[] }; nodes: { node: string; newConnections: number }[] };
    const traffic = await getJson<Traffic>(request, `/api/v1/clusters/${CLUSTER}/services/${port.segment}/endpoint-traffic?from=${from}&to=${to}`);
    // The seed's 100 curls from net-pod fall in the window.
    expect(traffic.overall.newConnections).toBeGreaterThan(0);
    expect(traffic.overall.endpoints.reduce((sum, e) => sum + e.newConnections, 0)).toBe(traffic.overall.newConnections);

    const view = new ServicePortPage(page);
    await view.open(port.segment, port.protocol, { cluster: CLUSTER, range: "custom", from, to });
    await expect(view.drawing(view.shareChart("all nodes"))).toBeVisible();
    await expect(view.drawing(view.seriesChart)).toBeVisible();
    // One bar per endpoint and kind of share (configured, observed) that is above zero.
    const bars = traffic.overall.endpoints.filter((e) => e.newConnections > 0).length;
    await expect(view.shareChart("all nodes").locator(".recharts-bar-rectangle")).not.toHaveCount(0);
    expect(await view.shareChart("all nodes").locator(".recharts-bar-rectangle").count()).toBeGreaterThanOrEqual(bars);
    for (const e of traffic.overall.endpoints) {
      await expect(view.observedRow(e.endpoint).getByRole("cell").nth(2)).toHaveText(String(e.newConnections));
    }
    const total = view.observedTotal.getByRole("cell");
    await expect(total.nth(2)).toHaveText(String(traffic.overall.newConnections));
    for (const [i, n] of traffic.nodes.entries()) await expect(total.nth(3 + i)).toHaveText(String(n.newConnections));
  });

  test("shows webpod2's restart: old KUBE-SEP removed, new added on every node, and worker3's delay", async ({ page, request }) => {
    const port = await webPort(request);
    const all = await changes(request, port);
    const added = all.filter((c) => c.kind === "endpoint-added" && c.detail.replaces && c.cause?.name === "webpod2");
    const removed = all.filter((c) => c.kind === "endpoint-removed" && c.detail.replacedBy && c.cause?.name === "webpod2");
    const nodes = port.nodes.map((n) => n.node);
    expect(added.map((c) => c.node).sort()).toEqual([...nodes].sort());
    expect(removed.map((c) => c.node).sort()).toEqual([...nodes].sort());
    const newSep = added[0]?.detail.endpoint?.sepChain as string;
    const oldSep = removed[0]?.detail.endpoint?.sepChain as string;
    const late = added.reduce((a, b) => (b.delayMs > a.delayMs ? b : a));
    expect(late.node).toBe("myk8s-worker3");
    expect(late.delayMs).toBeGreaterThan(0);

    const view = new ServicePortPage(page);
    await view.open(port.segment, port.protocol, { cluster: CLUSTER, range: "24h" });
    // The entry whose cause is the restarted pod coming back (later entries show the new chain only as context).
    const entry = view.timelineEntry("Pod default/webpod2 ADDED");
    await expect(entry).toHaveCount(1);
    await expect(entry).toContainText("Pod default/webpod2 DELETED");
    await expect(entry).toContainText("Pod default/webpod2 ADDED");
    for (const change of added) {
      const row = view.entryNodeRow(entry, change.node);
      await expect(row).toHaveCount(1);
      await expect(row).toContainText(change.delayMs > 0 ? `+${formatDelay(change.delayMs)}` : "first");
      const diff = await view.openRuleDiff(entry, change.node);
      await expect(diff.getByRole("deletion").filter({ hasText: oldSep }).first()).toBeVisible();
      await expect(diff.getByRole("insertion").filter({ hasText: newSep }).first()).toBeVisible();
      await expect(diff.getByRole("insertion").filter({ hasText: `--to-destination ${change.detail.endpoint?.address}` })).toHaveCount(1);
    }
  });
});

test.describe("service view of a port no node has", () => {
  test("says so, with a way back to the list", async ({ page }) => {
    for (const segment of ["default~no-such-service:http~tcp", "not-a-service-port"]) {
      // The view streams behind its loading state, so the status is already sent: the page itself must say it.
      await page.goto(`/services/${segment}?cluster=${CLUSTER}`);
      await expect(page.getByRole("heading", { name: "No such service port" })).toBeVisible();
      await expect(page.getByRole("link", { name: "All services" })).toHaveAttribute("href", "/services");
    }
  });
});
