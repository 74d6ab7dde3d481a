# natwatch node agent: reads the node's NAT rules and conntrack state (hostNetwork, NET_ADMIN) and uploads them.
# Build from the repository root: docker build -f deploy/docker/node-agent.Dockerfile -t natwatch/node-agent .
#
# The agent runs as one bundled file (npm run build:collectors): no TypeScript compiler, no node_modules and no
# other command at run time, which keeps a 10k-service node's agent under its 150 MB memory budget. Its node flags
# are those of COLLECTOR_BUNDLES in scripts/build-collectors.ts (small semi-spaces: see there).
FROM node:20-bookworm-slim AS build
WORKDIR /natwatch
COPY package.json package-lock.json ./
# The bundle needs only esbuild and the sources; skip the Prisma client generation and native builds of the app.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY cli ./cli
COPY collectors ./collectors
COPY lib ./lib
RUN npm run build:collectors

FROM node:20-bookworm-slim
WORKDIR /natwatch
# The agent runs the node's own tools' equivalents: iptables-save (nf_tables and legacy), nft, conntrack.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables nftables conntrack \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /natwatch/dist/collectors/agent.mjs ./agent.mjs
ENTRYPOINT ["node", "--max-semi-space-size=2", "agent.mjs"]
