-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Cluster" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Cluster_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IngestToken" (
    "id" SERIAL NOT NULL,
    "clusterId" INTEGER NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "IngestToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Node" (
    "id" SERIAL NOT NULL,
    "clusterId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "firstSeen" TIMESTAMP(3) NOT NULL,
    "lastSeen" TIMESTAMP(3) NOT NULL,
    "lastBackend" TEXT,
    "lastMode" TEXT,

    CONSTRAINT "Node_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChainBody" (
    "digest" TEXT NOT NULL,
    "table" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "ruleCount" INTEGER NOT NULL,

    CONSTRAINT "ChainBody_pkey" PRIMARY KEY ("digest")
);

-- CreateTable
CREATE TABLE "Ruleset" (
    "digest" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "chainCount" INTEGER NOT NULL,
    "baseDigest" TEXT,
    "depth" INTEGER NOT NULL,
    "deltaRows" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Ruleset_pkey" PRIMARY KEY ("digest")
);

-- CreateTable
CREATE TABLE "RulesetChain" (
    "rulesetDigest" TEXT NOT NULL,
    "table" TEXT NOT NULL,
    "chain" TEXT NOT NULL,
    "policy" TEXT,
    "chainDigest" TEXT,

    CONSTRAINT "RulesetChain_pkey" PRIMARY KEY ("rulesetDigest","table","chain")
);

-- CreateTable
CREATE TABLE "RulesetModel" (
    "rulesetDigest" TEXT NOT NULL,
    "builderVersion" INTEGER NOT NULL,
    "model" JSONB NOT NULL,
    "builtAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RulesetModel_pkey" PRIMARY KEY ("rulesetDigest")
);

-- CreateTable
CREATE TABLE "Snapshot" (
    "id" SERIAL NOT NULL,
    "nodeId" INTEGER NOT NULL,
    "rulesetDigest" TEXT NOT NULL,
    "backend" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "firstSeen" TIMESTAMP(3) NOT NULL,
    "lastSeen" TIMESTAMP(3) NOT NULL,
    "captureCount" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "Snapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Capture" (
    "nodeId" INTEGER NOT NULL,
    "captureId" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "capturedAt" TIMESTAMP(3) NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "snapshotId" INTEGER NOT NULL,

    CONSTRAINT "Capture_pkey" PRIMARY KEY ("nodeId","captureId","family")
);

-- CreateTable
CREATE TABLE "RuleCounterSample" (
    "nodeId" INTEGER NOT NULL,
    "family" TEXT NOT NULL,
    "capturedAt" TIMESTAMP(3) NOT NULL,
    "chain" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "packets" BIGINT NOT NULL,
    "bytes" BIGINT NOT NULL,

    CONSTRAINT "RuleCounterSample_pkey" PRIMARY KEY ("nodeId","family","capturedAt","chain","position")
);

-- CreateTable
CREATE TABLE "EndpointTraffic" (
    "nodeId" INTEGER NOT NULL,
    "servicePort" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "windowStart" TIMESTAMP(3) NOT NULL,
    "windowEnd" TIMESTAMP(3) NOT NULL,
    "newConnections" INTEGER NOT NULL,

    CONSTRAINT "EndpointTraffic_pkey" PRIMARY KEY ("nodeId","servicePort","endpoint","windowStart")
);

-- CreateTable
CREATE TABLE "ConntrackSample" (
    "nodeId" INTEGER NOT NULL,
    "capturedAt" TIMESTAMP(3) NOT NULL,
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

    CONSTRAINT "ConntrackSample_pkey" PRIMARY KEY ("nodeId","capturedAt")
);

-- CreateTable
CREATE TABLE "FlowAggregate" (
    "nodeId" INTEGER NOT NULL,
    "capturedAt" TIMESTAMP(3) NOT NULL,
    "destination" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "servicePort" TEXT,

    CONSTRAINT "FlowAggregate_pkey" PRIMARY KEY ("nodeId","capturedAt","protocol","destination","endpoint","state")
);

-- CreateTable
CREATE TABLE "ServiceChange" (
    "id" SERIAL NOT NULL,
    "clusterId" INTEGER NOT NULL,
    "nodeId" INTEGER NOT NULL,
    "snapshotId" INTEGER NOT NULL,
    "servicePort" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "detail" JSONB NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ServiceChange_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "KubeEvent" (
    "id" SERIAL NOT NULL,
    "clusterId" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "resourceVersion" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "object" JSONB NOT NULL,

    CONSTRAINT "KubeEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "KubeEventIp" (
    "eventId" INTEGER NOT NULL,
    "ip" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "KubeEventIp_pkey" PRIMARY KEY ("eventId","ip")
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
CREATE UNIQUE INDEX "KubeEvent_clusterId_kind_namespace_name_resourceVersion_typ_key" ON "KubeEvent"("clusterId", "kind", "namespace", "name", "resourceVersion", "type");

-- CreateIndex
CREATE INDEX "KubeEventIp_ip_at_idx" ON "KubeEventIp"("ip", "at");

-- AddForeignKey
ALTER TABLE "IngestToken" ADD CONSTRAINT "IngestToken_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Node" ADD CONSTRAINT "Node_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ruleset" ADD CONSTRAINT "Ruleset_baseDigest_fkey" FOREIGN KEY ("baseDigest") REFERENCES "Ruleset"("digest") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RulesetChain" ADD CONSTRAINT "RulesetChain_rulesetDigest_fkey" FOREIGN KEY ("rulesetDigest") REFERENCES "Ruleset"("digest") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RulesetChain" ADD CONSTRAINT "RulesetChain_chainDigest_fkey" FOREIGN KEY ("chainDigest") REFERENCES "ChainBody"("digest") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RulesetModel" ADD CONSTRAINT "RulesetModel_rulesetDigest_fkey" FOREIGN KEY ("rulesetDigest") REFERENCES "Ruleset"("digest") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Snapshot" ADD CONSTRAINT "Snapshot_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Snapshot" ADD CONSTRAINT "Snapshot_rulesetDigest_fkey" FOREIGN KEY ("rulesetDigest") REFERENCES "Ruleset"("digest") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Capture" ADD CONSTRAINT "Capture_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Capture" ADD CONSTRAINT "Capture_snapshotId_fkey" FOREIGN KEY ("snapshotId") REFERENCES "Snapshot"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RuleCounterSample" ADD CONSTRAINT "RuleCounterSample_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EndpointTraffic" ADD CONSTRAINT "EndpointTraffic_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConntrackSample" ADD CONSTRAINT "ConntrackSample_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FlowAggregate" ADD CONSTRAINT "FlowAggregate_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ServiceChange" ADD CONSTRAINT "ServiceChange_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ServiceChange" ADD CONSTRAINT "ServiceChange_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ServiceChange" ADD CONSTRAINT "ServiceChange_snapshotId_fkey" FOREIGN KEY ("snapshotId") REFERENCES "Snapshot"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "KubeEvent" ADD CONSTRAINT "KubeEvent_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "KubeEventIp" ADD CONSTRAINT "KubeEventIp_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "KubeEvent"("id") ON DELETE CASCADE ON UPDATE CASCADE;
