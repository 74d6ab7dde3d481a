-- CreateTable
CREATE TABLE "Cluster" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "IngestToken" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clusterId" INTEGER NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" DATETIME,
    CONSTRAINT "IngestToken_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Node" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clusterId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "firstSeen" DATETIME NOT NULL,
    "lastSeen" DATETIME NOT NULL,
    "lastBackend" TEXT,
    "lastMode" TEXT,
    CONSTRAINT "Node_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ChainBody" (
    "digest" TEXT NOT NULL PRIMARY KEY,
    "table" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "ruleCount" INTEGER NOT NULL
);

-- CreateTable
CREATE TABLE "Ruleset" (
    "digest" TEXT NOT NULL PRIMARY KEY,
    "family" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "chainCount" INTEGER NOT NULL,
    "baseDigest" TEXT,
    "depth" INTEGER NOT NULL,
    "deltaRows" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Ruleset_baseDigest_fkey" FOREIGN KEY ("baseDigest") REFERENCES "Ruleset" ("digest") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RulesetChain" (
    "rulesetDigest" TEXT NOT NULL,
    "table" TEXT NOT NULL,
    "chain" TEXT NOT NULL,
    "policy" TEXT,
    "chainDigest" TEXT,

    PRIMARY KEY ("rulesetDigest", "table", "chain"),
    CONSTRAINT "RulesetChain_rulesetDigest_fkey" FOREIGN KEY ("rulesetDigest") REFERENCES "Ruleset" ("digest") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "RulesetChain_chainDigest_fkey" FOREIGN KEY ("chainDigest") REFERENCES "ChainBody" ("digest") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RulesetModel" (
    "rulesetDigest" TEXT NOT NULL PRIMARY KEY,
    "builderVersion" INTEGER NOT NULL,
    "model" JSONB NOT NULL,
    "builtAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RulesetModel_rulesetDigest_fkey" FOREIGN KEY ("rulesetDigest") REFERENCES "Ruleset" ("digest") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Snapshot" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "nodeId" INTEGER NOT NULL,
    "rulesetDigest" TEXT NOT NULL,
    "backend" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "firstSeen" DATETIME NOT NULL,
    "lastSeen" DATETIME NOT NULL,
    "captureCount" INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT "Snapshot_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Snapshot_rulesetDigest_fkey" FOREIGN KEY ("rulesetDigest") REFERENCES "Ruleset" ("digest") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Capture" (
    "nodeId" INTEGER NOT NULL,
    "captureId" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "capturedAt" DATETIME NOT NULL,
    "receivedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "snapshotId" INTEGER NOT NULL,

    PRIMARY KEY ("nodeId", "captureId", "family"),
    CONSTRAINT "Capture_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Capture_snapshotId_fkey" FOREIGN KEY ("snapshotId") REFERENCES "Snapshot" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RuleCounterSample" (
    "nodeId" INTEGER NOT NULL,
    "family" TEXT NOT NULL,
    "capturedAt" DATETIME NOT NULL,
    "chain" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "packets" BIGINT NOT NULL,
    "bytes" BIGINT NOT NULL,

    PRIMARY KEY ("nodeId", "family", "capturedAt", "chain", "position"),
    CONSTRAINT "RuleCounterSample_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "EndpointTraffic" (
    "nodeId" INTEGER NOT NULL,
    "servicePort" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "windowStart" DATETIME NOT NULL,
    "windowEnd" DATETIME NOT NULL,
    "newConnections" INTEGER NOT NULL,

    PRIMARY KEY ("nodeId", "servicePort", "endpoint", "windowStart"),
    CONSTRAINT "EndpointTraffic_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ConntrackSample" (
    "nodeId" INTEGER NOT NULL,
    "capturedAt" DATETIME NOT NULL,
    "count" INTEGER NOT NULL,
    "max" INTEGER NOT NULL,
    "found" BIGINT NOT NULL,
    "invalid" BIGINT NOT NULL,
    "insert" BIGINT NOT NULL,
    "insertFailed" BIGINT NOT NULL,
    "drop" BIGINT NOT NULL,
    "earlyDrop" BIGINT NOT NULL,
    "error" BIGINT NOT NULL,
    "searchRestart" BIGINT NOT NULL,
    "perCpu" JSONB NOT NULL,

    PRIMARY KEY ("nodeId", "capturedAt"),
    CONSTRAINT "ConntrackSample_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "FlowAggregate" (
    "nodeId" INTEGER NOT NULL,
    "capturedAt" DATETIME NOT NULL,
    "destination" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "servicePort" TEXT,

    PRIMARY KEY ("nodeId", "capturedAt", "protocol", "destination", "endpoint", "state"),
    CONSTRAINT "FlowAggregate_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ServiceChange" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clusterId" INTEGER NOT NULL,
    "nodeId" INTEGER NOT NULL,
    "snapshotId" INTEGER NOT NULL,
    "servicePort" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "detail" JSONB NOT NULL,
    "at" DATETIME NOT NULL,
    CONSTRAINT "ServiceChange_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ServiceChange_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ServiceChange_snapshotId_fkey" FOREIGN KEY ("snapshotId") REFERENCES "Snapshot" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "KubeEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clusterId" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "resourceVersion" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "object" JSONB NOT NULL,
    CONSTRAINT "KubeEvent_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "KubeEventIp" (
    "eventId" INTEGER NOT NULL,
    "ip" TEXT NOT NULL,
    "at" DATETIME NOT NULL,

    PRIMARY KEY ("eventId", "ip"),
    CONSTRAINT "KubeEventIp_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "KubeEvent" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Cluster_name_key" ON "Cluster"("name");

-- CreateIndex
CREATE UNIQUE INDEX "IngestToken_tokenHash_key" ON "IngestToken"("tokenHash");

-- CreateIndex
CREATE INDEX "IngestToken_clusterId_idx" ON "IngestToken"("clusterId");

-- CreateIndex
CREATE UNIQUE INDEX "Node_clusterId_name_key" ON "Node"("clusterId", "name");

-- CreateIndex
CREATE INDEX "Ruleset_baseDigest_idx" ON "Ruleset"("baseDigest");

-- CreateIndex
CREATE INDEX "RulesetChain_chainDigest_idx" ON "RulesetChain"("chainDigest");

-- CreateIndex
CREATE INDEX "Snapshot_nodeId_family_firstSeen_idx" ON "Snapshot"("nodeId", "family", "firstSeen");

-- CreateIndex
CREATE INDEX "Snapshot_rulesetDigest_idx" ON "Snapshot"("rulesetDigest");

-- CreateIndex
CREATE INDEX "Capture_snapshotId_idx" ON "Capture"("snapshotId");

-- CreateIndex
CREATE INDEX "Capture_nodeId_capturedAt_idx" ON "Capture"("nodeId", "capturedAt");

-- CreateIndex
CREATE INDEX "RuleCounterSample_nodeId_chain_capturedAt_idx" ON "RuleCounterSample"("nodeId", "chain", "capturedAt");

-- CreateIndex
CREATE INDEX "EndpointTraffic_servicePort_windowStart_idx" ON "EndpointTraffic"("servicePort", "windowStart");

-- CreateIndex
CREATE INDEX "FlowAggregate_servicePort_capturedAt_idx" ON "FlowAggregate"("servicePort", "capturedAt");

-- CreateIndex
CREATE INDEX "ServiceChange_clusterId_servicePort_at_idx" ON "ServiceChange"("clusterId", "servicePort", "at");

-- CreateIndex
CREATE INDEX "ServiceChange_clusterId_at_idx" ON "ServiceChange"("clusterId", "at");

-- CreateIndex
CREATE INDEX "ServiceChange_nodeId_at_idx" ON "ServiceChange"("nodeId", "at");

-- CreateIndex
CREATE INDEX "ServiceChange_snapshotId_idx" ON "ServiceChange"("snapshotId");

-- CreateIndex
CREATE INDEX "KubeEvent_clusterId_at_idx" ON "KubeEvent"("clusterId", "at");

-- CreateIndex
CREATE INDEX "KubeEvent_clusterId_kind_namespace_name_at_idx" ON "KubeEvent"("clusterId", "kind", "namespace", "name", "at");

-- CreateIndex
CREATE UNIQUE INDEX "KubeEvent_clusterId_kind_namespace_name_resourceVersion_type_key" ON "KubeEvent"("clusterId", "kind", "namespace", "name", "resourceVersion", "type");

-- CreateIndex
CREATE INDEX "KubeEventIp_ip_at_idx" ON "KubeEventIp"("ip", "at");
