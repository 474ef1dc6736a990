import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_PASSWORD, frontend, startStack } from './stack';

export { ADMIN_PASSWORD };

/**
 * E2E_VIA_NGINX=1: the production-like stack. The real docker/nginx.conf (run by Debian's nginx
 * through scripts/nginx_local.py) serves the built SPA and proxies /api (HTTP and WebSocket) to
 * the backend, which then runs without the embedded SPA, trusting the proxy's headers.
 */
const viaNginx = Boolean(process.env.E2E_VIA_NGINX);

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!process.env.E2E_SKIP_BUILD) {
    const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: frontend, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('vite build failed');
  }
  const dist = join(frontend, 'dist');
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`no built SPA at ${dist}: run npm run build`);

  // The shared stack every spec uses: paper exchange (specs needing another set-up start their own).
  const stack = await startStack({ viaNginx, dist });
  process.env.E2E_BASE_URL = stack.appURL;
  process.env.E2E_ADMIN_PASSWORD = ADMIN_PASSWORD;
  // Specs that must insert rows the API cannot create (e.g. closed sessions for analytics) use this.
  process.env.E2E_DATABASE_URL = stack.databaseURL;
  // For specs that start a stack of their own (same build, same proxy mode).
  process.env.E2E_DIST = dist;

  return () => stack.stop();
}
