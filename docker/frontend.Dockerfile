# syntax=docker/dockerfile:1.7
# Deltaplane web image: builds the React/Vite SPA, then serves it with nginx, which also proxies
# /api (HTTP + WebSocket) to the backend service (see docker/nginx.conf).
#
#   docker build -f docker/frontend.Dockerfile .

############################ build: node 20, lock-file install, vite build ####################
FROM node:20-bookworm-slim AS build

WORKDIR /src
ENV CI=true
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

############################ runtime: nginx serving frontend/dist ############################
FROM nginx:1.27-alpine AS runtime

# Our nginx.conf replaces the image's (it has its own server block, JSON access log, limits).
RUN rm -f /etc/nginx/conf.d/default.conf
COPY docker/nginx.conf /etc/nginx/nginx.conf
COPY --from=build /src/dist/ /usr/share/nginx/html/

# (No `nginx -t` here: it resolves the upstream `backend`, which only exists inside compose.
#  The config is exercised by backend/tests/deploy/test_nginx.py with a real nginx instead.)

EXPOSE 80
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=5 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1/nginx-health"]

CMD ["nginx", "-g", "daemon off;"]
