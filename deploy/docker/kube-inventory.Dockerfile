# natwatch kube-inventory: watches Pods, Services, EndpointSlices and Nodes and posts their events.
# Build from the repository root: docker build -f deploy/docker/kube-inventory.Dockerfile -t natwatch/kube-inventory .
#
# kube-inventory runs as one bundled file (npm run build:collectors), @kubernetes/client-node included: the image
# carries node and that file only.
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
COPY --from=build /natwatch/dist/collectors/inventory.mjs ./inventory.mjs
USER node
ENTRYPOINT ["node", "inventory.mjs", "--in-cluster"]
