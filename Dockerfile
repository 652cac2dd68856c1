# Tessera as a container image (used by examples/oidc/compose.yaml).
#   docker build -t tessera .
#   docker run -v ./conf:/conf:ro -v tessera-data:/data tessera
# Stage 1 compiles the TypeScript and keeps only the production dependencies; stage 2 is the same
# Node.js base (so better-sqlite3's native module matches) with the compiled server, run as the
# unprivileged `node` user. Ports are whatever the conf binds (use ports above 1024: the process has
# no privilege to bind lower ones; map them with `ports:`).
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    TESSERA_DATA_DIR=/data
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
RUN mkdir -p /data /conf && chown node:node /data
USER node
VOLUME ["/data"]
# Healthy while the server answers on its admin socket (<data dir>/admin.sock), which it serves for
# as long as it runs.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["node", "bin/tessera.js", "sessions", "list", "--conf", "/conf"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/tessera.js"]
CMD ["serve", "--conf", "/conf"]
