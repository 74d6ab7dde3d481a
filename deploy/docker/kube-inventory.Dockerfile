# natwatch kube-inventory: watches Pods, Services, EndpointSlices and Nodes and posts their events.
# Build from the repository root: docker build -f deploy/docker/kube-inventory.Dockerfile -t natwatch/kube-inventory .
FROM node:20-bookworm-slim
WORKDIR /natwatch
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY cli ./cli
COPY collectors ./collectors
COPY lib ./lib
USER node
ENTRYPOINT ["node", "bin/natwatch.mjs", "inventory", "--in-cluster"]
