import { describe, expect, it } from "vitest";
import { readInventoryConfig } from "./config";

const flags = ["--server", "http://natwatch:3000/", "--token", "nwt_x", "--cluster", "kind", "--kubeconfig", "/etc/kube/config"];

describe("kube-inventory config", () => {
  it("reads flags with defaults", () => {
    expect(readInventoryConfig(flags, {})).toEqual({
      server: "http://natwatch:3000",
      token: "nwt_x",
      cluster: "kind",
      kube: { kind: "kubeconfig", path: "/etc/kube/config" },
      batchIntervalMs: 1000,
      batchSize: 500,
      bufferSize: 50_000,
    });
  });

  it("takes the environment where flags are absent, and flags over it", () => {
    const env = { NATWATCH_SERVER: "https://nw.example", NATWATCH_TOKEN: "t", NATWATCH_CLUSTER: "prod", NATWATCH_IN_CLUSTER: "1", NATWATCH_BATCH_SIZE: "100", KUBECONFIG: "/ignored" };
    expect(readInventoryConfig(["--buffer-size", "10"], env)).toMatchObject({
      server: "https://nw.example",
      cluster: "prod",
      kube: { kind: "in-cluster" },
      batchSize: 100,
      bufferSize: 10,
    });
    expect(readInventoryConfig(["--cluster", "dev", "--kubeconfig", "/k"], env)).toMatchObject({ cluster: "dev", kube: { kind: "kubeconfig", path: "/k" } });
  });

  it("names the flag that is missing or wrong", () => {
    expect(() => readInventoryConfig(flags.slice(2), {})).toThrow("--server must be an http(s) URL");
    expect(() => readInventoryConfig([...flags, "--cluster", "Kind_1"], {})).toThrow("--cluster must be a lower-case DNS-1123 name");
    expect(() => readInventoryConfig([...flags, "--batch-size", "20000"], {})).toThrow("--batch-size must be at most 10000");
    expect(() => readInventoryConfig([...flags, "--batch-interval", "soon"], {})).toThrow("--batch-interval must be a number");
    expect(() => readInventoryConfig(flags.slice(0, 6), {})).toThrow("one of --kubeconfig FILE or --in-cluster is required");
    expect(() => readInventoryConfig([...flags, "--in-cluster"], {})).toThrow("exclude each other");
    expect(() => readInventoryConfig([...flags, "--bogus"], {})).toThrow(/Unknown option '--bogus'/);
  });

  it("answers --help", () => {
    expect(readInventoryConfig(["--help"], {})).toBe("help");
  });
});
