import { expect, test } from "@playwright/test";
import { ComparePage } from "./pages/compare-page";
import { CLUSTER, apiServicePorts, disagreeingNodes, getJson, webPort } from "./pages/read-api";

interface ApiDiff {
  services: { servicePort: string; changes: { kind: string; summary: string }[] }[];
  chains: { added: { chain: string }[]; removed: { chain: string }[]; changed: { chain: string }[] };
}

test.describe("compare", () => {
  test("picks the stuck node and a node that agrees, and shows how their rules for the service differ", async ({ page, request }) => {
    const ports = await apiServicePorts(request);
    const differing = disagreeingNodes(ports);
    const web = webPort(ports);
    const stuck = web.nodes.find((n) => !n.agrees)!;
    const agreeing = web.nodes.find((n) => n.agrees && !differing.has(n.node))!;
    // What the stuck node still balances to that the others no longer name (the read API's view of the same rules).
    const extra = stuck.endpoints.map((e) => e.address).filter((a) => !agreeing.endpoints.some((e) => e.address === a));
    expect(extra.length).toBeGreaterThan(0);

    const compare = new ComparePage(page);
    await compare.open();
    await compare.choose({ node: stuck.node, at: "now" }, { node: agreeing.node, at: "now" });
    await expect(page).toHaveURL(new RegExp(`[?&]a=${stuck.node}(&|$)`));
    await expect(page).toHaveURL(new RegExp(`[?&]b=${agreeing.node}(&|$)`));
    await expect(compare.nodePicker("A")).toHaveValue(stuck.node);

    const diff = await getJson<ApiDiff>(request, `/api/v1/clusters/${CLUSTER}/diff?from=${stuck.node}&to=${agreeing.node}`);
    await expect(compare.serviceDiffs()).toHaveCount(diff.services.length);
    const webDiff = compare.serviceDiff(web.name);
    await expect(webDiff).toHaveCount(1);
    for (const address of extra) await expect(webDiff).toContainText(`endpoint ${address}`);

    // The raw diff: the balancing chain lost the stuck node's extra endpoints' rules (<del>), and their KUBE-SEP chains exist only in A.
    const svc = compare.changedChain(stuck.svcChain!);
    await expect(svc).toBeVisible();
    for (const address of extra) await expect(svc.getByRole("deletion").filter({ hasText: address })).toHaveCount(1);
    const onlyInA = compare.chainsOnlyIn("A");
    for (const sep of stuck.endpoints.filter((e) => extra.includes(e.address)).map((e) => e.sepChain)) {
      await expect(onlyInA.getByRole("link", { name: sep })).toBeVisible();
    }
    await page.screenshot({ path: "test-results/screenshots/compare.png", fullPage: true });

    // Swapping the sides turns the removals into additions.
    await page.getByRole("link", { name: "swap A and B" }).click();
    await expect(compare.nodePicker("A")).toHaveValue(agreeing.node);
    for (const address of extra) await expect(compare.changedChain(stuck.svcChain!).getByRole("insertion").filter({ hasText: address })).toHaveCount(1);
  });

  test("compares a node with itself earlier, and says when nothing differs", async ({ page, request }) => {
    const ports = await apiServicePorts(request);
    const node = webPort(ports).nodes.find((n) => n.agrees)!.node;
    const compare = new ComparePage(page);
    await compare.open({ a: node, b: node });
    await expect(page.getByRole("status")).toContainText("Identical");
    // The node's first snapshot predates svc-clusterip: its rules since then added it.
    const { snapshots } = await getJson<{ snapshots: { id: number }[] }>(request, `/api/v1/clusters/${CLUSTER}/nodes/${node}/snapshots?family=ipv4&limit=1000`);
    await compare.open({ a: String(snapshots[snapshots.length - 1]!.id), b: node });
    await expect(compare.nodePicker("A")).toHaveValue(node);
    await expect(compare.serviceDiff(webPort(ports).name)).toContainText("service-added");
  });

  test("explains a reference that names nothing", async ({ page }) => {
    const compare = new ComparePage(page);
    await compare.open({ a: "myk8s-worker9", b: "myk8s-worker" });
    await expect(page.getByRole("alert").filter({ hasText: "myk8s-worker9" })).toContainText("unknown node");
  });
});
