import type { Locator, Page } from "@playwright/test";
import { CLUSTER } from "./read-api";

/** Compare: pickers for two (node, time) points, the service differences, then the chain differences. */
export class ComparePage {
  constructor(readonly page: Page) {}

  async open(query: Record<string, string> = {}): Promise<void> {
    await this.page.goto(`/compare?${new URLSearchParams({ cluster: CLUSTER, ...query })}`);
  }

  nodePicker(side: "A" | "B"): Locator {
    return this.page.getByLabel(`node ${side}`);
  }

  timePicker(side: "A" | "B"): Locator {
    return this.page.getByLabel(`time ${side}`);
  }

  async choose(a: { node: string; at: string }, b: { node: string; at: string }): Promise<void> {
    await this.nodePicker("A").selectOption(a.node);
    await this.timePicker("A").fill(a.at);
    await this.nodePicker("B").selectOption(b.node);
    await this.timePicker("B").fill(b.at);
    await this.page.getByRole("button", { name: "Compare" }).click();
  }

  /** One list item per service port that differs; its heading is the port's name. */
  serviceDiffs(): Locator {
    return this.page.getByRole("list", { name: "Service ports that differ" }).getByRole("listitem").filter({ has: this.page.getByRole("heading") });
  }

  serviceDiff(port: string): Locator {
    return this.serviceDiffs().filter({ has: this.page.getByRole("heading", { name: new RegExp(`^${port.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\b`) }) });
  }

  /** A changed chain's rule edits (a <details> named after the chain). */
  changedChain(chain: string): Locator {
    return this.page.getByRole("group", { name: `changed chain ${chain}` });
  }

  chainsOnlyIn(side: "A" | "B"): Locator {
    return this.page.getByRole("region", { name: `Chains only in ${side}` });
  }
}
