/**
 * The fragment id of a chain on the snapshot page. Chain names are unique per table only (nat and filter both have
 * OUTPUT), so the table is part of it; kube-proxy names are [A-Z0-9-], safe in an id as they are.
 */
export function chainAnchor(table: string, chain: string): string {
  return `chain-${table}-${chain}`;
}
