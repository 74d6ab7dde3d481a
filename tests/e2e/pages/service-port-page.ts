import type { Locator, Page } from "@playwright/test";

/** The service view of one service port: chain flow, endpoints, distribution, change timeline. */
export class ServicePortPage {
  constructor(readonly page: Page) {}

  /** Opens `/services/{segment}~{protocol}`; `segment` is the read API's (`default~svc-clusterip:svc-webport`). */
  async open(segment: string, protocol: string, query: Record<string, string> = {}): Promise<void> {
    const search = new URLSearchParams(query).toString();
    await this.page.goto(`/services/${segment}~${protocol}${search ? `?${search}` : ""}`);
  }

  get heading(): Locator {
    return this.page.getByRole("heading", { level: 1 });
  }

  get nodeSelector(): Locator {
    return this.page.getByRole("navigation", { name: "Node" });
  }

  nodeLink(node: string): Locator {
    return this.nodeSelector.getByRole("link", { name: new RegExp(`^${node} `) });
  }

  /** The chain flow drawn for `node`. */
  flow(node: string): Locator {
    return this.page.getByRole("figure", { name: `Chain path on ${node}` });
  }

  endpoints(node: string): Locator {
    return this.page.getByRole("table", { name: `Endpoints on ${node}` });
  }

  endpointRows(node: string): Locator {
    return this.endpoints(node).locator("tbody").getByRole("row");
  }

  /** The configured-vs-observed share chart of a scope ("all nodes" or a node name). */
  shareChart(scope: string): Locator {
    return this.page.getByRole("figure", { name: `Configured vs observed share, ${scope}` });
  }

  /** The drawn chart inside a chart figure (recharts' accessible surface). */
  drawing(figure: Locator): Locator {
    return figure.getByRole("application");
  }

  get seriesChart(): Locator {
    return this.page.getByRole("figure", { name: "New connections per endpoint over time, all nodes" });
  }

  get observed(): Locator {
    return this.page.getByRole("table", { name: "Observed new connections" });
  }

  /** The observed-connections row of an endpoint address. */
  observedRow(endpoint: string): Locator {
    return this.observed.locator("tbody").getByRole("row").filter({ has: this.page.getByRole("rowheader", { name: new RegExp(`^${endpoint.replaceAll(".", "\\.")}( |$)`) }) });
  }

  get observedTotal(): Locator {
    return this.observed.locator("tfoot").getByRole("row");
  }

  get timeline(): Locator {
    return this.page.getByRole("list", { name: "Changes" });
  }

  /** Timeline entries mentioning `text`. */
  timelineEntry(text: string): Locator {
    return this.timeline.locator(":scope > li").filter({ hasText: text });
  }

  /** In a timeline entry, the row of a node (its delay). */
  entryNodeRow(entry: Locator, node: string): Locator {
    return entry.getByRole("row").filter({ has: this.page.getByRole("rowheader", { name: node, exact: true }) });
  }

  /** Opens the rule diff of `node` in a timeline entry and returns its content. */
  async openRuleDiff(entry: Locator, node: string): Promise<Locator> {
    const summary = entry.getByText(`Rule diff on ${node}`, { exact: true });
    await summary.focus();
    await summary.press("Enter");
    return entry.locator("details").filter({ has: this.page.getByText(`Rule diff on ${node}`, { exact: true }) });
  }
}
