# natwatch app: the Next.js server, its migrations and the CLI (token, prune, import).
# Build from the repository root: docker build -f deploy/docker/app.Dockerfile -t natwatch/app .
FROM node:20-bookworm-slim AS build
WORKDIR /natwatch
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json ./
COPY scripts ./scripts
COPY lib ./lib
RUN npm ci --no-audit --no-fund
COPY . .
ENV NEXT_TELEMETRY_DISABLED=1
RUN npx next build

FROM node:20-bookworm-slim
WORKDIR /natwatch
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 DATABASE_URL=file:/data/natwatch.db
COPY --from=build /natwatch /natwatch
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Migrations are idempotent: applying them at start keeps a single replica's upgrade a restart.
CMD ["sh", "-c", "npm run --silent db:migrate && exec npx next start --port 3000"]
