import type { Locator, Page } from "@playwright/test";

/** The services list: every service port of a cluster, with its filters. */
export class ServicesPage {
  constructor(readonly page: Page) {}

  async open(query: Record<string, string> = {}): Promise<void> {
    const search = new URLSearchParams(query).toString();
    await this.page.goto(search ? `/services?${search}` : "/services");
  }

  get filters(): Locator {
    return this.page.getByRole("search", { name: "Filter service ports" });
  }

  /** Types into the search box and submits with Enter, as a keyboard user does. */
  async search(text: string): Promise<void> {
    const box = this.filters.getByRole("searchbox", { name: "Search" });
    await box.fill(text);
    await box.press("Enter");
  }

  async filterByType(type: string): Promise<void> {
    await this.filters.getByRole("combobox", { name: "Type" }).selectOption(type);
    await this.filters.getByRole("button", { name: "Apply" }).click();
  }

  async disagreeingOnly(): Promise<void> {
    await this.filters.getByRole("checkbox", { name: "Disagreeing nodes only" }).check();
    await this.filters.getByRole("button", { name: "Apply" }).click();
  }

  get table(): Locator {
    return this.page.getByRole("table", { name: "Service ports" });
  }

  /** Data rows (the header row left out). */
  get rows(): Locator {
    return this.table.locator("tbody").getByRole("row");
  }

  /** The link naming a service port (`namespace/name:port`). */
  link(servicePort: string): Locator {
    return this.table.getByRole("link", { name: servicePort, exact: true });
  }

  row(servicePort: string): Locator {
    return this.rows.filter({ has: this.page.getByRole("link", { name: servicePort, exact: true }) });
  }
}
