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

/** Reads a request body (at most 64 KiB); kept on the request for `logRequest`. */
export async function readBody(req) {
  if (req.rawBody) return req.rawBody;
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(c);
  }
  req.rawBody = Buffer.concat(chunks);
  return req.rawBody;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/;

/** The first email address in a request's path, query or body (read by then), or '-': plain,
 * percent-encoded or as a form value. */
export function addressIn(req) {
  let text = String(req.originalUrl || req.url || '');
  if (req.rawBody) text += ` ${req.rawBody.toString('utf8')}`;
  else if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) text += ` ${req.body.toString()}`;
  let decoded = text;
  try { decoded = decodeURIComponent(text.replace(/\+/g, ' ')); } catch { /* keep it raw */ }
  const found = decoded.match(EMAIL) || text.match(EMAIL);
  return found ? found[0].toLowerCase() : '-';
}

/**
 * One line per request once it is answered, for the privacy test (issue 25): the host asked, who
 * asked (`agent=tayori` for Tayori's User-Agent "Tayori/<version>", `other` for a browser or a
 * test) and the email address the request carried (`address=`), as the fixture server logs
 * them. No token, code or password: only the address, which is test data.
 */
export function logRequest(req, res) {
  const host = String(req.headers.host || '-').replace(/:\d+$/, '').toLowerCase();
  // "tayori+": a Tayori User-Agent that says more than "Tayori/<version>" (issue 25 forbids it)
  const ua = String(req.headers['user-agent'] || '');
  const agent = /^Tayori\/\d+\.\d+\.\d+$/.test(ua) ? 'tayori' : ua.startsWith('Tayori') ? 'tayori+' : 'other';
  res.on('finish', () => log('request', `host=${host}`, `method=${req.method}`, `status=${res.statusCode}`, `agent=${agent}`, `address=${addressIn(req)}`));
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
