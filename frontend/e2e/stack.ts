/**
 * Start the real backend (and, E2E_VIA_NGINX=1, the production nginx config in front of it) on
 * free loopback ports with a fresh temp SQLite DB. Used by global-setup.ts for the shared stack and
 * by specs that need a stack of their own (live-faults.spec.ts: live mode against the fake Delta
 * server). Console output goes to e2e/artifacts/<name>.log for post-mortems.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const frontend = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const backend = resolve(frontend, '../backend');
export const artifactsDir = join(frontend, 'e2e/artifacts');
export const ADMIN_PASSWORD = 'e2e-admin-pass-123';

export function freePort(): Promise<number> {
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

export async function waitHealthy(url: string, child: ChildProcess, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not healthy after ${timeoutMs} ms:\n${output()}`);
}

export async function stopChild(child: ChildProcess): Promise<void> {
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

/** Spawn `cmd`, keeping its output in e2e/artifacts/<logName> and the last 20 kB in memory. */
function spawnLogged(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logName: string }) {
  mkdirSync(artifactsDir, { recursive: true });
  const log = createWriteStream(join(artifactsDir, opts.logName));
  let out = '';
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
    log.write(b);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => out, closeLog: () => log.end() };
}

export interface Stack {
  /** What the browser opens: nginx (E2E_VIA_NGINX=1) or the backend serving the SPA itself. */
  appURL: string;
  databaseURL: string;
  tmp: string;
  stop(): Promise<void>;
}

/**
 * `name` prefixes the log files ('' keeps the historical backend.log / nginx.log);
 * `env` is added to the backend's environment (e.g. EXCHANGE=delta for live mode).
 */
export async function startStack(opts: { name?: string; viaNginx: boolean; dist: string; env?: Record<string, string> }): Promise<Stack> {
  const prefix = opts.name ? `${opts.name}-` : '';
  const cli = process.env.DELTAPLANE_CLI ?? join(backend, '.venv/bin/deltaplane');
  if (!existsSync(cli)) throw new Error(`backend CLI not found at ${cli}`);
  const tmp = mkdtempSync(join(tmpdir(), `deltaplane-e2e-${prefix}`));
  mkdirSync(join(tmp, 'logs'));
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const databaseURL = `sqlite+aiosqlite:///${join(tmp, 'db.sqlite')}`;
  const api = spawnLogged(cli, ['serve', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: tmp,
    logName: `${prefix}backend.log`,
    env: {
      ...process.env,
      DATABASE_URL: databaseURL,
      LOG_DIR: join(tmp, 'logs'),
      INITIAL_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SPA_DIST: opts.dist,
      SERVE_SPA: opts.viaNginx ? 'false' : 'true',
      TRUST_PROXY_HEADERS: opts.viaNginx ? 'true' : 'false',
      PORT: String(port),
      ...opts.env,
    },
  });
  await waitHealthy(`${baseURL}/api/health`, api.child, api.output);

  let nginx: ChildProcess | null = null;
  let appURL = baseURL;
  if (opts.viaNginx) {
    const nginxPort = await freePort();
    const python = join(backend, '.venv/bin/python');
    mkdirSync(join(tmp, 'nginx'), { recursive: true });
    const nginxLogPath = join(artifactsDir, `${prefix}nginx.log`);
    const nginxLog = openSync(nginxLogPath, 'w');
    // The login limit (10/min per IP in production) is relaxed: every spec signs in from 127.0.0.1.
    nginx = spawn(
      python,
      [join(frontend, '../scripts/nginx_local.py'), '--listen', String(nginxPort), '--upstream', String(port), '--root', opts.dist, '--tmp', join(tmp, 'nginx'), '--login-rate', '600r/m'],
      // A real file, not a pipe: nginx opens /dev/stderr itself, which fails on a socket.
      { stdio: ['ignore', nginxLog, nginxLog] },
    );
    appURL = `http://127.0.0.1:${nginxPort}`;
    await waitHealthy(`${appURL}/api/health`, nginx, () => readFileSync(nginxLogPath, 'utf8'));
  }

  // The SPA must be served with a real HTML type (by the backend's embedded mode, or nginx):
  // a wrong Content-Type makes the browser download index.html instead of rendering it.
  const probe = await fetch(`${appURL}/`);
  const type = probe.headers.get('content-type') ?? '';
  if (!type.startsWith('text/html')) {
    throw new Error(`backend serves the SPA index as ${probe.status} "${type}" (expected 200 text/html)`);
  }

  return {
    appURL,
    databaseURL,
    tmp,
    async stop() {
      if (nginx) await stopChild(nginx);
      await stopChild(api.child);
      api.closeLog();
      if (process.env.E2E_KEEP_TMP) console.log(`e2e: kept ${tmp}`);
      else rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export interface FakeDelta {
  url: string;
  wsUrl: string;
  /** POST/DELETE/GET on the fake server's control API (/_control/...). */
  control(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

/** The fake Delta Exchange (backend exchange/fake_delta) in its own process, with its control API on. */
export async function startFakeDelta(opts: { name: string }): Promise<FakeDelta> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawnLogged(
    join(backend, '.venv/bin/python'),
    ['-m', 'deltaplane.exchange.fake_delta', '--port', String(port), '--control', '--tick-interval', '1'],
    { cwd: backend, env: { ...process.env }, logName: `${opts.name}-fake-delta.log` },
  );
  await waitHealthy(`${url}/_control/state`, proc.child, proc.output);
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/`,
    async control(method, path, body) {
      const res = await fetch(`${url}/_control/${path}`, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`fake Delta control ${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as unknown;
    },
    async stop() {
      await stopChild(proc.child);
      proc.closeLog();
    },
  };
}
