// Helpers shared by the rig's provider emulators (entra.mjs, google.mjs): keys, HTML pages, form
// parsing, a persistent JSON state file, the loopback admin API, log lines without secrets.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import http from 'node:http';
import querystring from 'node:querystring';

export const log = (...a) => console.log(new Date().toISOString(), ...a);

export function escape(s) { return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`); }

export function page(title, body, { lang = 'en' } = {}) {
  return `<!DOCTYPE html><html lang="${lang}"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body>${body}</body></html>`;
}

export function send(res, status, html, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(html);
}

export function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache', ...headers,
  });
  res.end(JSON.stringify(body));
}

export function redirect(res, location) {
  res.writeHead(302, { location, 'cache-control': 'no-store' });
  res.end();
}

/** Reads a request body (at most 64 KiB). */
export async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

export async function readForm(req) {
  return querystring.parse((await readBody(req)).toString('utf8'));
}

/** Constant-time password check against a known user table ({ [id]: { password } }). */
export function passwordOk(users, user, given) {
  const a = crypto.createHash('sha256').update(String(users[user]?.password ?? crypto.randomUUID())).digest();
  const b = crypto.createHash('sha256').update(String(given ?? '')).digest();
  return Boolean(users[user]) && crypto.timingSafeEqual(a, b);
}

/** A deterministic GUID from a name (so object ids are stable across state dirs). */
export function guidOf(name) {
  const h = crypto.createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Signing keys (RSA, RS256) and cookie keys, generated once per state dir. */
export function loadKeys(dir, kidPrefix) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const jwksFile = path.join(dir, 'jwks.json');
  if (!fs.existsSync(jwksFile)) {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    Object.assign(jwk, { kid: `${kidPrefix}-${crypto.randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' });
    fs.writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }), { mode: 0o600 });
  }
  const jwks = JSON.parse(fs.readFileSync(jwksFile, 'utf8'));
  const cookieKeysFile = path.join(dir, 'cookie-keys.json');
  if (!fs.existsSync(cookieKeysFile)) {
    fs.writeFileSync(cookieKeysFile, JSON.stringify([crypto.randomBytes(32).toString('base64url')]), { mode: 0o600 });
  }
  const cookieKeys = JSON.parse(fs.readFileSync(cookieKeysFile, 'utf8'));
  const publicJwks = {
    keys: jwks.keys.map(({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use })),
  };
  return { jwks, cookieKeys, publicJwks };
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export function decodeJwt(token) {
  const [h, p] = String(token).split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')) };
}

/** Signs a JWT with the first RS256 key of a private JWKS. */
export function signJwt(jwks, header, payload) {
  const jwk = jwks.keys[0];
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  const h = b64url(JSON.stringify({ ...header, alg: 'RS256', kid: jwk.kid }));
  const p = b64url(JSON.stringify(payload));
  const sig = crypto.sign('RSA-SHA256', Buffer.from(`${h}.${p}`), key);
  return `${h}.${p}.${b64url(sig)}`;
}

/**
 * Mutable JSON state persisted to one file (mode 0600, in the rig's run dir): directory changes
 * made through the admin API (consents, rules) survive a restart of the emulator, like a real
 * provider's directory.
 */
export class JsonState {
  constructor(file, initial) {
    this.file = file;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      this.data = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      this.data = initial();
      this.save();
    }
  }

  save() {
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.data, null, 1), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}

/**
 * The loopback admin API: plain HTTP, JSON in and out. `routes` is a list of
 * [method, RegExp, async (match, body, url) => [status, json]].
 */
export function adminServer(addr, port, routes, name) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, `http://${addr}:${port}`);
    try {
      const raw = (await readBody(req)).toString('utf8');
      let body = {};
      if (raw) {
        body = req.headers['content-type']?.includes('application/x-www-form-urlencoded')
          ? querystring.parse(raw) : JSON.parse(raw);
      }
      for (const [method, re, handler] of routes) {
        const m = re.exec(url.pathname);
        if (m && method === req.method) {
          const [status, json] = await handler(m, body, url, req);
          log('admin', req.method, url.pathname, status);
          return sendJson(res, status, json);
        }
      }
      log('admin', req.method, url.pathname, 404);
      return sendJson(res, 404, { error: 'not_found', routes: routes.map(([mm, re]) => `${mm} ${re.source}`) });
    } catch (err) {
      log('admin error', err?.message);
      return sendJson(res, 400, { error: 'bad_request', message: String(err?.message) });
    }
  });
  server.on('error', (err) => { log(`${name} admin listen error`, err.message); process.exit(1); });
  server.listen(port, addr, () => log(`${name} admin API on http://${addr}:${port}`));
  return server;
}

/** ISO timestamp in Entra's "2016-01-09 02:02:12Z" form. */
export function entraTimestamp(d = new Date()) {
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
