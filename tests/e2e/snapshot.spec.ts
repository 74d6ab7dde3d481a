import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { SnapshotPage } from "./pages/snapshot-page";
import { CLUSTER, apiNodes, apiServicePorts, getJson, webPort, type ApiRulesetChain } from "./pages/read-api";

test.describe("snapshot page", () => {
  test("finds the chains of svc-clusterip's ClusterIP, links jump targets to their chains, and downloads the ruleset", async ({ page, request }) => {
    const [nodes, ports] = await Promise.all([apiNodes(request), apiServicePorts(request)]);
    const web = webPort(ports);
    const node = nodes.find((n) => n.role === "control-plane")!;
    const onNode = web.nodes.find((n) => n.node === node.name)!;
    const clusterIp = onNode.clusterIPs[0]!.replace(/:\d+$/, "");
    expect(clusterIp).toMatch(/^10\.200\.1\.\d+$/);
    const snapshotId = node.current.ipv4!.snapshotId;
    const ruleset = await getJson<{ chains: ApiRulesetChain[] }>(request, `/api/v1/clusters/${CLUSTER}/nodes/${node.name}/snapshots/${snapshotId}/ruleset?format=json`);
    const token = new RegExp(`(^|[^\\d.])${clusterIp.replace(/\./g, "\\.")}(?![\\d])`);
    const holding = ruleset.chains.filter((c) => c.rules.some((r) => token.test(r)));

    const snapshot = new SnapshotPage(page);
    await snapshot.open(node.name, snapshotId);
    await expect(snapshot.chains()).toHaveCount(ruleset.chains.length);
    await snapshot.search(clusterIp);
    await expect(page).toHaveURL(new RegExp(`[?&]q=${clusterIp.replace(/\./g, "\\.")}`));
    await expect(snapshot.status()).toHaveText(`${holding.length} of ${ruleset.chains.length} chains match “${clusterIp}”.`);
    await expect(snapshot.chains()).toHaveCount(holding.length);
    for (const chain of holding) await expect(snapshot.chain(chain.table, chain.chain).locator("mark").first()).toHaveText(clusterIp);
    const svc = snapshot.chain("nat", onNode.svcChain!);
    await expect(svc).toBeVisible();
    await page.screenshot({ path: "test-results/screenshots/snapshot.png", fullPage: true });

    // A jump target is a link to its chain: the first endpoint's KUBE-SEP chain, which the search had filtered out.
    const sep = onNode.endpoints[0]!.sepChain;
    await svc.getByRole("link", { name: sep }).click();
    await expect(page).toHaveURL(new RegExp(`#chain-nat-${sep}$`));
    await expect(snapshot.chain("nat", sep)).toHaveAttribute("open", "");
    await expect(snapshot.chain("nat", sep)).toContainText("DNAT");

    // The download is the read API's iptables-save text of the same snapshot.
    const expected = await (await request.get(`/api/v1/clusters/${CLUSTER}/nodes/${node.name}/snapshots/${snapshotId}/ruleset`)).text();
    const [download] = await Promise.all([page.waitForEvent("download"), snapshot.downloadLink().click()]);
    expect(download.suggestedFilename()).toContain(node.name);
    const text = await readFile((await download.path())!, "utf8");
    expect(text).toBe(expected);
    expect(text).toContain(`-d ${clusterIp}`);
  });

  test("opens the snapshot a node had at a time", async ({ page, request }) => {
    const node = (await apiNodes(request))[0]!;
    await page.goto(`/nodes/${node.name}/snapshots/now?cluster=${CLUSTER}`);
    await expect(page).toHaveURL(new RegExp(`/snapshots/${node.current.ipv4!.snapshotId}\\?`));
  });
});
