import type { Locator, Page } from "@playwright/test";

/** The overview: nodes, service ports and the latest changes of a cluster. */
export class OverviewPage {
  constructor(readonly page: Page) {}

  async open(cluster?: string): Promise<void> {
    await this.page.goto(cluster ? `/?cluster=${encodeURIComponent(cluster)}` : "/");
  }

  table(caption: "Nodes" | "Service ports" | "Latest changes"): Locator {
    return this.page.getByRole("table", { name: caption });
  }

  /** The row whose first cell is exactly `key` (a node name, a service port name). */
  row(caption: "Nodes" | "Service ports" | "Latest changes", key: string): Locator {
    return this.table(caption)
      .getByRole("row")
      .filter({ has: this.page.getByRole("cell", { name: key, exact: true }) });
  }
}
