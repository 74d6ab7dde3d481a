# natwatch node agent: reads the node's NAT rules and conntrack state (hostNetwork, NET_ADMIN) and uploads them.
# Build from the repository root: docker build -f deploy/docker/node-agent.Dockerfile -t natwatch/node-agent .
FROM node:20-bookworm-slim
WORKDIR /natwatch
# The agent runs the node's own tools' equivalents: iptables-save (nf_tables and legacy), nft, conntrack.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables nftables conntrack iproute2 \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Collectors need only the pure libraries and their own code; skip the Prisma client generation of the app.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY cli ./cli
COPY collectors ./collectors
COPY lib ./lib
ENTRYPOINT ["node", "bin/natwatch.mjs", "agent"]
