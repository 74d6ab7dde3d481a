/** A kubeconfig for the lab's control plane, in the form `kubectl` and `@kubernetes/client-node` read. */
import { writeFile } from "node:fs/promises";

/**
 * Writes a kubeconfig at `file` with one cluster, user and context (`natwatch-lab`) pointing at `url`.
 * The control plane speaks plain HTTP; client-node refuses `http://` servers unless the cluster says
 * `insecure-skip-tls-verify: true`, so it does.
 */
export async function writeKubeconfig(file: string, url: string, options: { token?: string } = {}): Promise<void> {
  const user = options.token === undefined ? "{}" : `\n    token: ${JSON.stringify(options.token)}`;
  const text = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: natwatch-lab",
    "  cluster:",
    `    server: ${JSON.stringify(url)}`,
    "    insecure-skip-tls-verify: true",
    "users:",
    `- name: natwatch-lab`,
    `  user: ${user}`,
    "contexts:",
    "- name: natwatch-lab",
    "  context:",
    "    cluster: natwatch-lab",
    "    user: natwatch-lab",
    "current-context: natwatch-lab",
    "",
  ].join("\n");
  await writeFile(file, text, { mode: 0o600 });
}
