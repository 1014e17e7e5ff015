# Portcullis in a container: the packed `portcullis` package installed into an empty folder, run as
# the unprivileged `node` user. The commands below are the ones the packed-install test runs
# (packages/server/test/packaging/packed-install.test.ts); no container runtime is available where
# this project is developed, so that test is what keeps them working. See docs/production.md.
#
#   docker build -t portcullis .
#   docker run -p 3000:3000 -v portcullis-data:/data -e PORTCULLIS_SECRET=… -e SMTP_URL=… \
#     -e PORTCULLIS_PUBLIC_URL=https://auth.example.com portcullis

# 1. Build the workspace and pack the packages a deployment installs.
FROM node:22-bookworm-slim AS build
# Compilers for better-sqlite3, should its prebuilt binary not download.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund
RUN npm run build
RUN npm pack --pack-destination /tarballs -w portcullis -w @portcullis/token-verifier

# 2. Install the tarballs as a user would, without development dependencies.
FROM build AS install
WORKDIR /app
RUN echo '{"name":"portcullis-deployment","private":true,"allowScripts":{"better-sqlite3":true}}' > package.json
RUN npm install --omit=dev --no-audit --no-fund /tarballs/*.tgz

# 3. The runtime: Node, the installed packages, nothing else.
FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    PORTCULLIS_DATA_DIR=/data \
    DATABASE_URL=sqlite:/data/portcullis.db
WORKDIR /app
COPY --from=install --chown=root:root /app /app
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
VOLUME /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `npx portcullis start` without npx: SIGTERM reaches the server itself, which drains and exits 0.
CMD ["node", "node_modules/portcullis/dist/cli/main.js", "start"]
