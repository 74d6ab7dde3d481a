import type { Locator, Page } from "@playwright/test";
import { CLUSTER } from "./read-api";

/** A node's page: snapshot intervals, conntrack charts and per-CPU statistics, live flows per service port. */
export class NodePage {
  constructor(readonly page: Page) {}

  async open(node: string, query: Record<string, string> = {}): Promise<void> {
    await this.page.goto(`/nodes/${encodeURIComponent(node)}?${new URLSearchParams({ cluster: CLUSTER, ...query })}`);
  }

  heading(): Locator {
    return this.page.getByRole("heading", { level: 1 });
  }

  /** The bars of the snapshot timeline, each a link to its snapshot. */
  intervals(): Locator {
    return this.page.getByRole("list", { name: "Snapshots as intervals" }).getByRole("link");
  }

  snapshotsTable(): Locator {
    return this.page.getByRole("table", { name: "Snapshots in range" });
  }

  conntrackCharts(): Locator {
    return this.page.getByRole("figure", { name: /^Conntrack/ });
  }

  perCpuTable(): Locator {
    return this.page.getByRole("table", { name: /^Per-CPU statistics/ });
  }

  /** One table per service port with live flows; the caption starts with the port's name. */
  flowTables(): Locator {
    return this.page.getByRole("region", { name: "Live flows per service" }).getByRole("table");
  }
}
