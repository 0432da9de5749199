// A real npm registry on loopback for the release rehearsal: Verdaccio (6.8.0, the last release that runs on Node 20)
// started as its own process with a temporary storage folder and a free port, a user created through the registry's
// `npm adduser` endpoint, and a stop() that kills it. Nothing is proxied: `@ft/*` names resolve only to what was
// published here, so a same-named package on the public registry can never stand in for ours.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { root } from './workspace.mjs';

/** A free loopback TCP port (bound and released; the registry binds it right after). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Verdaccio's config: local storage and htpasswd under `dir`, no uplinks, publishing for logged-in users only. */
export function registryConfig(dir) {
  return [
    `storage: ${JSON.stringify(path.join(dir, 'storage'))}`,
    'auth:',
    '  htpasswd:',
    `    file: ${JSON.stringify(path.join(dir, 'htpasswd'))}`,
    '    max_users: 10',
    'uplinks: {}',
    'packages:',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    '    unpublish: $authenticated',
    'web:',
    '  enable: false',
    'max_body_size: 200mb',
    'log: { type: stdout, format: pretty, level: warn }',
    '',
  ].join('\n');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * GET from the registry, retrying network errors: Verdaccio closes idle keep-alive connections, and the first request
 * on such a socket fails with "other side closed". A non-2xx answer is an error too.
 */
export async function registryFetch(url, tries = 5) {
  for (let i = 1; ; i++) {
    try {
      const r = await fetch(url);
      if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
      return r;
    } catch (e) {
      if (i >= tries || /HTTP \d/.test(e.message)) throw e;
      await sleep(300 * i);
    }
  }
}

/**
 * Starts Verdaccio on 127.0.0.1 with its storage in `dir` and creates the user `user`. Resolves to
 * `{ url, host, token, npmrc(scope?), stop() }` once `/-/ping` answers; rejects with the registry's output when it does
 * not start within `timeoutMs`.
 */
export async function startLocalRegistry({ dir, user = 'rehearsal', timeoutMs = 60_000 } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(config, registryConfig(dir));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}/`;
  const bin = path.join(root, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  if (!fs.existsSync(bin)) throw new Error(`verdaccio is not installed (${bin}); run npx -y pnpm@10 install`);
  const child = spawn(process.execPath, [bin, '--config', config, '--listen', host], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  let exited = null;
  // a parent that exits (or is interrupted) takes the registry with it
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    process.removeListener('exit', killOnExit);
  });
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    if (!exited) child.kill('SIGKILL');
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`verdaccio exited (${JSON.stringify(exited)}) before answering:\n${output}`);
    try {
      const r = await fetch(`${url}-/ping`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`verdaccio did not answer on ${url} within ${timeoutMs / 1000} s:\n${output}`);
    }
    await sleep(200);
  }

  const password = `pw-${port}-${Date.now()}`;
  let body = {};
  try {
    // `npm adduser`'s endpoint; retried like registryFetch (Verdaccio drops idle keep-alive sockets)
    for (let i = 1; ; i++) {
      try {
        const res = await fetch(`${url}-/user/org.couchdb.user:${user}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: user, password, type: 'user', roles: [], date: new Date().toISOString() }),
        });
        body = await res.json().catch(() => ({}));
        if (!res.ok || !body.token)
          throw new Error(`could not create the registry user: HTTP ${res.status} ${JSON.stringify(body)}`);
        break;
      } catch (e) {
        if (i >= 5 || /HTTP \d/.test(e.message)) throw e;
        await sleep(300 * i);
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  /** An .npmrc that sends everything (or only `scope`, e.g. '@ft') to this registry, with the token. */
  const npmrc = (scope) =>
    `${scope ? `${scope}:registry=${url}` : `registry=${url}`}\n//${host}/:_authToken=${body.token}\n`;
  return { url, host, token: body.token, npmrc, stop, output: () => output };
}
