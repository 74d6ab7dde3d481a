/**
 * The kind path without Docker: its files parse, say what the seed document says, and hold together with the lab,
 * the demo and deploy/kubernetes; the script is valid bash naming files that exist; the rule reading the kind steps
 * wait on sees kube-proxy's own rules for each step.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadAllYaml } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { seedWebService } from "../demo/seed-story";
import { LAB_NODES, POD_SUBNET, SERVICE_SUBNET } from "../cluster/topology";
import { STUDY_WEBPODS } from "../control-plane/study-cluster";
import { renderNatRules } from "../kube-proxy/render-iptables";
import { seedPortRules } from "./seed-rules";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const yaml = (file: string) => loadAllYaml(readFileSync(path.join(here, file), "utf8")) as Record<string, unknown>[];

interface KindConfig {
  kind: string;
  apiVersion: string;
  name: string;
  featureGates: Record<string, boolean>;
  nodes: { role: string; labels: Record<string, string>; extraPortMappings?: { containerPort: number; hostPort: number }[]; kubeadmConfigPatches?: string[] }[];
  networking: { podSubnet: string; serviceSubnet: string };
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}
type PodSpec = { nodeName: string; containers: { name: string; image: string; command?: string[]; args?: string[] }[]; terminationGracePeriodSeconds: number };
type ServiceSpec = { type: string; clusterIP: string; selector: Record<string, string>; ports: { name: string; port: number; targetPort: number }[] };

const config = yaml("kind-config.yaml")[0] as unknown as KindConfig;
const workloads = yaml("seed-workloads.yaml") as unknown as Manifest[];
const pod = (name: string) => workloads.find((m) => m.kind === "Pod" && m.metadata.name === name) as (Manifest & { spec: PodSpec }) | undefined;
const nodeNames = [`${config.name}-control-plane`, ...config.nodes.slice(1).map((_, i) => `${config.name}-worker${i ? i + 1 : ""}`)];

describe("lab/kind", () => {
  it("is the seed's kind cluster: a control plane and three workers, its subnets, feature gates and port mappings", () => {
    expect(config).toMatchObject({ kind: "Cluster", apiVersion: "kind.x-k8s.io/v1alpha4", name: "myk8s" });
    expect(config.featureGates).toEqual({ InPlacePodVerticalScaling: true, MultiCIDRServiceAllocator: true });
    expect(config.nodes.map((n) => `${n.role} ${n.labels.mynode}`)).toEqual(["control-plane control-plane", "worker worker1", "worker worker2", "worker worker3"]);
    expect(config.nodes[0]!.extraPortMappings).toEqual([30000, 30001, 30002].map((port) => ({ containerPort: port, hostPort: port })));
    expect(config.nodes[0]!.kubeadmConfigPatches?.[0]).toContain("runtime-config: api/all=true");
    expect(config.networking).toEqual({ podSubnet: "10.10.0.0/16", serviceSubnet: "10.200.1.0/24" });
    // The lab builds the same cluster from namespaces: same subnets, same node names.
    expect(config.networking).toEqual({ podSubnet: POD_SUBNET, serviceSubnet: SERVICE_SUBNET });
    expect(nodeNames).toEqual(LAB_NODES.map((n) => n.name));
  });

  it("deploys the seed's pods where the document puts them and its service as the demo and the lab model it", () => {
    for (const study of STUDY_WEBPODS) {
      const spec = pod(study.name)?.spec;
      expect(spec, study.name).toBeDefined();
      expect(pod(study.name)!.metadata.labels).toEqual({ app: "webpod" });
      expect(spec!.nodeName).toBe(study.node);
      expect(spec!.containers).toEqual([{ name: "container", image: "traefik/whoami" }]);
      expect(spec!.terminationGracePeriodSeconds).toBe(0);
    }
    expect(pod("net-pod")!.spec).toMatchObject({
      nodeName: "myk8s-control-plane",
      containers: [{ name: "netshoot-pod", image: "nicolaka/netshoot", command: ["tail"], args: ["-f", "/dev/null"] }],
    });
    for (const p of workloads.filter((m) => m.kind === "Pod")) expect(nodeNames).toContain((p.spec as PodSpec).nodeName);

    const service = workloads.find((m) => m.kind === "Service" && m.metadata.name === "svc-clusterip") as Manifest & { spec: ServiceSpec };
    const modelled = seedWebService([]);
    const port = modelled.ports[0]!;
    expect(service.spec).toEqual({
      type: "ClusterIP",
      clusterIP: modelled.clusterIP,
      selector: { app: "webpod" },
      ports: [{ name: port.name, port: port.port, targetPort: port.targetPort }],
    });
    expect(service.spec.clusterIP.startsWith("10.200.1.")).toBe(true);
    expect(workloads.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(["Pod/webpod1", "Pod/webpod2", "Pod/webpod3", "Pod/net-pod", "Service/svc-clusterip"]);
  });

  it("deploys natwatch from deploy/kubernetes with the kind images, cluster myk8s and the app on a mapped node port", () => {
    const overlay = yaml("natwatch/kustomization.yaml")[0] as { resources: string[]; images: { name: string; newTag: string }[]; patches: { path: string }[] };
    expect(overlay.resources).toEqual(["../../../deploy/kubernetes"]);
    const baseDir = path.join(here, "natwatch", overlay.resources[0]!);
    const base = loadAllYaml(readFileSync(path.join(baseDir, "kustomization.yaml"), "utf8"))[0] as { resources: string[]; images: { name: string }[] };
    const baseObjects = base.resources.flatMap((file) => loadAllYaml(readFileSync(path.join(baseDir, file), "utf8")) as Manifest[]);
    expect(overlay.images).toEqual(base.images.map((i) => ({ name: i.name, newTag: "kind" })));

    const patches = overlay.patches.flatMap((p) => yaml(path.join("natwatch", p.path)) as unknown as Manifest[]);
    for (const patch of patches) {
      const target = baseObjects.find((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name && o.metadata.namespace === patch.metadata.namespace);
      expect(target, `${patch.kind}/${patch.metadata.name}`).toBeDefined();
      const containers = (patch.spec as { template?: { spec: { containers: { name: string; env: { name: string; value: string }[] }[] } } }).template?.spec.containers ?? [];
      const targetContainers = (target!.spec as { template?: { spec: { containers: { name: string; env: { name: string }[] }[] } } }).template?.spec.containers ?? [];
      for (const container of containers) {
        const existing = targetContainers.find((c) => c.name === container.name);
        expect(existing, container.name).toBeDefined();
        // A patch may only change variables the base sets: a misspelt name would add an unused one instead.
        for (const variable of container.env) expect(existing!.env.map((e) => e.name)).toContain(variable.name);
        expect(container.env).toEqual([{ name: "NATWATCH_CLUSTER", value: config.name }]);
      }
    }
    expect(patches.filter((p) => p.kind !== "Service").map((p) => p.metadata.name).sort()).toEqual(["natwatch-kube-inventory", "natwatch-node-agent"]);
    const app = patches.find((p) => p.kind === "Service") as Manifest & { spec: { type: string; ports: { nodePort: number; targetPort: string }[] } };
    expect(app.spec.type).toBe("NodePort");
    expect(config.nodes[0]!.extraPortMappings!.map((m) => m.containerPort)).toContain(app.spec.ports[0]!.nodePort);
    const script = readFileSync(path.join(here, "seed.sh"), "utf8");
    expect(script).toContain(`BASE_URL="http://127.0.0.1:${app.spec.ports[0]!.nodePort}"`);
  });

  it("has a script that bash accepts and that names files which exist", () => {
    execFileSync("bash", ["-n", path.join(here, "seed.sh")]);
    const script = readFileSync(path.join(here, "seed.sh"), "utf8");
    for (const file of ["lab/kind/kind-config.yaml", "lab/kind/natwatch", "lab/kind/seed-steps.ts"]) {
      expect(script).toContain(file);
      expect(existsSync(path.join(repo, file)), file).toBe(true);
    }
    const images = /for image in ([a-z -]+); do/.exec(script)![1]!.split(" ");
    for (const image of images) expect(existsSync(path.join(repo, `deploy/docker/${image}.Dockerfile`)), image).toBe(true);
    expect(images.map((i) => `natwatch/${i}`).sort()).toEqual((yaml("natwatch/kustomization.yaml")[0] as { images: { name: string }[] }).images.map((i) => i.name).sort());
  });

  it("reads each step from kube-proxy's rules: the endpoints of the seed port and its node port", () => {
    const node = { nodeName: "myk8s-worker", nodeIPs: ["172.18.0.3"], podCIDR: "10.10.0.0/16" };
    const rules = (ips: string[], nodePort?: number) => renderNatRules([seedWebService(ips, nodePort)], node, { tables: ["nat"], includeJumpRules: true });
    expect(seedPortRules(rules(["10.10.3.3", "10.10.1.2", "10.10.2.2"]))).toEqual({ endpoints: ["10.10.1.2:80", "10.10.2.2:80", "10.10.3.3:80"], nodePort: null });
    expect(seedPortRules(rules(["10.10.1.2", "10.10.2.5", "10.10.3.3"], 30007))).toEqual({ endpoints: ["10.10.1.2:80", "10.10.2.5:80", "10.10.3.3:80"], nodePort: ":30007" });
    expect(seedPortRules(renderNatRules([], node, { tables: ["nat"], includeJumpRules: true }))).toBeNull();
  });
});
