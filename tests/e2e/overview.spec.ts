import { expect, test } from "@playwright/test";
import { OverviewPage } from "./pages/overview-page";

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
});
