import type { Locator, Page } from "@playwright/test";
import { CLUSTER } from "./read-api";

/** A snapshot's raw ruleset: collapsible chains, linked jump targets, search, download. */
export class SnapshotPage {
  constructor(readonly page: Page) {}

  async open(node: string, snapshotId: number | string, query: Record<string, string> = {}): Promise<void> {
    await this.page.goto(`/nodes/${encodeURIComponent(node)}/snapshots/${snapshotId}?${new URLSearchParams({ cluster: CLUSTER, ...query })}`);
  }

  async search(term: string): Promise<void> {
    await this.page.getByRole("searchbox", { name: "Search by IP, port or chain name" }).fill(term);
    await this.page.getByRole("searchbox", { name: "Search by IP, port or chain name" }).press("Enter");
  }

  /** The visible chains (each a <details> whose summary starts with the chain's name). */
  chains(): Locator {
    return this.page.locator("details[id^='chain-']");
  }

  chain(table: string, chain: string): Locator {
    return this.page.locator(`details[id='chain-${table}-${chain}']`);
  }

  status(): Locator {
    return this.page.getByRole("status").filter({ hasText: /chains/ });
  }

  downloadLink(): Locator {
    return this.page.getByRole("link", { name: "Download as iptables-save text" });
  }
}
