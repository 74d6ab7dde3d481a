/**
 * The deployment files in deploy/: every manifest parses, names kinds Kubernetes serves, and holds together
 * (selectors match their pods, Secrets and ports that are referenced exist); the node agent gets only the
 * capabilities it needs; kube-inventory may only read the four kinds it watches; the images carry what they run.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadAllYaml } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";

const root = resolve(__dirname, "../..");
const kubeDir = join(root, "deploy/kubernetes");

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** apiVersion/kind pairs of the Kubernetes API (1.29+) this deployment may use. */
const KNOWN_KINDS = new Set([
  "v1/Namespace",
  "v1/Secret",
  "v1/Service",
  "v1/ServiceAccount",
  "v1/PersistentVolumeClaim",
  "apps/v1/Deployment",
  "apps/v1/DaemonSet",
  "rbac.authorization.k8s.io/v1/ClusterRole",
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
]);

const kustomization = loadAllYaml(readFileSync(join(kubeDir, "kustomization.yaml"), "utf8"))[0] as { resources: string[]; images: { name: string }[] };
const manifests: Manifest[] = kustomization.resources.flatMap((file) => loadAllYaml(readFileSync(join(kubeDir, file), "utf8")) as Manifest[]);
const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);

// Plain accessors for the nested, untyped manifest fields the checks read.
type PodSpec = {
  hostNetwork?: boolean;
  serviceAccountName?: string;
  tolerations?: { key?: string; operator: string; effect?: string }[];
  containers: {
    name: string;
    image: string;
    env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } } }[];
    ports?: { name: string; containerPort: number }[];
    securityContext?: { privileged?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { add?: string[]; drop?: string[] } };
    volumeMounts?: { name: string }[];
  }[];
  volumes?: { name: string }[];
};
type Workload = Manifest & { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };
const workloads = manifests.filter((m): m is Workload => m.kind === "Deployment" || m.kind === "DaemonSet");

describe("deploy/kubernetes", () => {
  it("lists files that exist, each a well-formed object of a known kind", () => {
    for (const file of kustomization.resources) expect(existsSync(join(kubeDir, file)), file).toBe(true);
    expect(manifests.length).toBeGreaterThanOrEqual(12);
    for (const m of manifests) {
      expect(KNOWN_KINDS.has(`${m.apiVersion}/${m.kind}`), `${m.apiVersion} ${m.kind}`).toBe(true);
      expect(m.metadata.name, m.kind).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    const images = new Set(workloads.flatMap((w) => w.spec.template.spec.containers.map((c) => c.image.split(":")[0])));
    expect(new Set(kustomization.images.map((i) => i.name))).toEqual(images);
  });

  it("has workloads whose selectors match their pods, and whose Secrets, volumes and accounts exist", () => {
    for (const w of workloads) {
      const labels = w.spec.template.metadata.labels;
      for (const [key, value] of Object.entries(w.spec.selector.matchLabels)) expect(labels[key], `${w.metadata.name} ${key}`).toBe(value);
      const pod = w.spec.template.spec;
      if (pod.serviceAccountName) expect(find("ServiceAccount", pod.serviceAccountName), pod.serviceAccountName).toBeDefined();
      const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
      for (const c of pod.containers) {
        expect(c.image, c.name).toMatch(/^natwatch\/[a-z-]+:/);
        for (const mount of c.volumeMounts ?? []) expect(volumes.has(mount.name), `${c.name} mounts ${mount.name}`).toBe(true);
        for (const env of c.env ?? []) {
          const ref = env.valueFrom?.secretKeyRef;
          if (!ref) continue;
          const secret = find("Secret", ref.name) as (Manifest & { stringData: Record<string, string> }) | undefined;
          expect(secret?.stringData[ref.key], `${c.name} ${env.name} → ${ref.name}/${ref.key}`).toBeDefined();
        }
      }
    }
    const service = find("Service", "natwatch") as Manifest & { spec: { selector: Record<string, string>; ports: { targetPort: string }[] } };
    const app = find("Deployment", "natwatch-app") as Workload;
    expect(app.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    const portNames = app.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));
    for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
  });

  it("runs the node agent on every node's host network with only NET_ADMIN and NET_RAW, read-only", () => {
    const agent = find("DaemonSet", "natwatch-node-agent") as Workload;
    const pod = agent.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.tolerations).toContainEqual({ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" });
    const [container] = pod.containers;
    expect(container!.securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(container!.securityContext!.privileged).toBeUndefined();
    expect([...container!.securityContext!.capabilities!.add!].sort()).toEqual(["NET_ADMIN", "NET_RAW"]);
    expect(container!.env).toContainEqual({ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } });
  });

  it("lets kube-inventory only get, list and watch Pods, Services, EndpointSlices and Nodes", () => {
    const role = find("ClusterRole", "natwatch-kube-inventory") as Manifest & { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    const granted = role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`)));
    expect(granted.sort()).toEqual(["/nodes", "/pods", "/services", "discovery.k8s.io/endpointslices"]);
    for (const rule of role.rules) expect([...rule.verbs].sort()).toEqual(["get", "list", "watch"]);
    const binding = find("ClusterRoleBinding", "natwatch-kube-inventory") as Manifest & { subjects: { name: string }[]; roleRef: { name: string } };
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects.map((s) => s.name)).toEqual(["natwatch-kube-inventory"]);
  });
});

describe("deploy/docker", () => {
  const dockerfile = (name: string) => readFileSync(join(root, "deploy/docker", name), "utf8");

  it("copies only paths that exist, and starts commands the CLI has", () => {
    const cli = readFileSync(join(root, "cli/main.ts"), "utf8");
    for (const name of ["app.Dockerfile", "node-agent.Dockerfile", "kube-inventory.Dockerfile"]) {
      const text = dockerfile(name);
      for (const [, source] of text.matchAll(/^COPY (?!--from)(\S+)/gm)) {
        if (source !== ".") expect(existsSync(join(root, source!)), `${name}: COPY ${source}`).toBe(true);
      }
      const entry = /ENTRYPOINT \["node", "bin\/natwatch\.mjs", "(\w+)"/.exec(text)?.[1];
      if (entry) expect(cli, `${name} runs natwatch ${entry}`).toContain(`${entry}Command`);
    }
  });

  it("gives the node agent the netfilter tools it runs", () => {
    expect(dockerfile("node-agent.Dockerfile")).toMatch(/apt-get install[^\n]*\biptables\b[^\n]*\bnftables\b[^\n]*\bconntrack\b/);
  });
});
