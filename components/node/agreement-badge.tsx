/** Whether a node's rules agree with the majority of nodes; disagreements name the service ports. */
export function AgreementBadge({ agrees, ports }: { agrees: boolean; ports: readonly string[] }) {
  if (agrees) return <span className="text-emerald-800 dark:text-emerald-300">agrees</span>;
  return (
    <span className="font-medium text-red-800 dark:text-red-300" title={ports.join("\n")}>
      differs{ports.length ? ` on ${ports.length} service port${ports.length === 1 ? "" : "s"}` : ""}
    </span>
  );
}
