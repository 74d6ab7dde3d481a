import type { Locator, Page } from "@playwright/test";

type Caption = "Nodes" | "Service ports" | "Latest changes";

/** The overview: nodes, service ports and the latest changes of a cluster. */
export class OverviewPage {
  constructor(readonly page: Page) {}

  async open(cluster?: string): Promise<void> {
    await this.page.goto(cluster ? `/?cluster=${encodeURIComponent(cluster)}` : "/");
  }

  table(caption: Caption): Locator {
    return this.page.getByRole("table", { name: caption });
  }

  /** The row whose first cell is exactly `key` (a node name, a service port name). */
  row(caption: Caption, key: string): Locator {
    return this.table(caption)
      .getByRole("row")
      .filter({ has: this.page.getByRole("cell", { name: key, exact: true }) });
  }

  /** The cell of `row` under the column headed `header`. */
  async cell(caption: Caption, row: Locator, header: string): Promise<Locator> {
    const headers = (await this.table(caption).getByRole("columnheader").allInnerTexts()).map((h) => h.trim());
    const index = headers.indexOf(header);
    if (index < 0) throw new Error(`table ${caption} has no column ${header} (has ${headers.join(", ")})`);
    return row.getByRole("cell").nth(index);
  }

  /** The one-click "now, A vs B" compare link of a node's row. */
  compareLink(node: string): Locator {
    return this.row("Nodes", node).getByRole("link", { name: /^now, .+ vs .+$/ });
  }

  /** The link to a node's own page. */
  nodeLink(node: string): Locator {
    return this.row("Nodes", node).getByRole("link", { name: node, exact: true });
  }
}
