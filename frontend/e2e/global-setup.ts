import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const backend = resolve(frontend, '../backend');
export const ADMIN_PASSWORD = 'e2e-admin-pass-123';

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`backend exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`backend not healthy after ${timeoutMs} ms:\n${output()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise<void>((r) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      r();
    }, 5000);
    child.once('exit', () => {
      clearTimeout(t);
      r();
    });
  });
}

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
  const cli = process.env.DELTAPLANE_CLI ?? join(backend, '.venv/bin/deltaplane');
  if (!existsSync(cli)) throw new Error(`backend CLI not found at ${cli}`);

  const tmp = mkdtempSync(join(tmpdir(), 'deltaplane-e2e-'));
  mkdirSync(join(tmp, 'logs'));
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  let out = '';
  const child = spawn(cli, ['serve', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: tmp,
    env: {
      ...process.env,
      DATABASE_URL: `sqlite+aiosqlite:///${join(tmp, 'db.sqlite')}`,
      LOG_DIR: join(tmp, 'logs'),
      INITIAL_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SPA_DIST: dist,
      SERVE_SPA: viaNginx ? 'false' : 'true',
      TRUST_PROXY_HEADERS: viaNginx ? 'true' : 'false',
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The backend's console output is kept in e2e/artifacts/backend.log for post-mortems.
  mkdirSync(join(frontend, 'e2e/artifacts'), { recursive: true });
  const logFile = createWriteStream(join(frontend, 'e2e/artifacts/backend.log'));
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
    logFile.write(b);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await waitHealthy(baseURL, child, () => out);

  let nginx: ChildProcess | null = null;
  let appURL = baseURL;
  if (viaNginx) {
    const nginxPort = await freePort();
    const python = join(backend, '.venv/bin/python');
    mkdirSync(join(tmp, 'nginx'), { recursive: true });
    const nginxLog = openSync(join(frontend, 'e2e/artifacts/nginx.log'), 'w');
    // The login limit (10/min per IP in production) is relaxed: every spec signs in from 127.0.0.1.
    nginx = spawn(
      python,
      [join(frontend, '../scripts/nginx_local.py'), '--listen', String(nginxPort), '--upstream', String(port), '--root', dist, '--tmp', join(tmp, 'nginx'), '--login-rate', '600r/m'],
      // A real file, not a pipe: nginx opens /dev/stderr itself, which fails on a socket.
      { stdio: ['ignore', nginxLog, nginxLog] },
    );
    appURL = `http://127.0.0.1:${nginxPort}`;
    await waitHealthy(appURL, nginx, () => readFileSync(join(frontend, 'e2e/artifacts/nginx.log'), 'utf8'));
  }

  // The SPA must be served with a real HTML type (by the backend's embedded mode, or nginx):
  // a wrong Content-Type makes the browser download index.html instead of rendering it.
  const probe = await fetch(`${appURL}/`);
  const type = probe.headers.get('content-type') ?? '';
  if (!type.startsWith('text/html')) {
    throw new Error(`backend serves the SPA index as ${probe.status} "${type}" (expected 200 text/html)`);
  }

  process.env.E2E_BASE_URL = appURL;
  process.env.E2E_ADMIN_PASSWORD = ADMIN_PASSWORD;
  // Specs that must insert rows the API cannot create (e.g. closed sessions for analytics) use this.
  process.env.E2E_DATABASE_URL = `sqlite+aiosqlite:///${join(tmp, 'db.sqlite')}`;

  return async () => {
    if (nginx) await stopChild(nginx);
    await stopChild(child);
    logFile.end();
    if (process.env.E2E_KEEP_TMP) console.log(`e2e: kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  };
}
