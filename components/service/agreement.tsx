/** "nodes in agreement 3/4": red when a node disagrees, so a lagging kube-proxy stands out in lists. */
import type { Agreement } from "@/lib/server/queries/service-port-agreement";

export function AgreementCount({ agreement }: { agreement: Agreement }) {
  const all = agreement.agreeing === agreement.nodes;
  return (
    <span
      className={all ? "" : "font-semibold text-red-700 dark:text-red-400"}
      title={all ? "every node programs the same rules" : `${agreement.nodes - agreement.agreeing} node(s) differ from the majority`}
    >
      {agreement.agreeing}/{agreement.nodes}
      {!all && <span className="sr-only"> (nodes disagree)</span>}
    </span>
  );
}
