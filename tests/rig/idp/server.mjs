// OpenID Connect provider for Tayori's real-server test rig, built on panva's oidc-provider 9.13.
// HTTPS on 127.0.0.1:9443 only; issuer exactly https://127.0.0.1:9443.
// Login and consent are plain HTML forms served here (the stock dev interactions accept any password).
// Never logs tokens, codes, query strings or passwords.
//
// Environment:
//   TAYORI_RIG_STATE  state dir: reads pki/server.{crt,key}; keeps idp/jwks.json + idp/cookie-keys.json
//                     (once per state dir) and run/idp-store.json (grants, tokens, sessions, clients)
//   IDP_SHORT_TTL     access-token lifetime in seconds for client "tayori-short" (default 10)
import https from 'node:https';
import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Provider, { errors } from 'oidc-provider';
import FileAdapter, { openStore } from './file-adapter.mjs';
import { logRequest, readBody } from './rig-common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const STATE = process.env.TAYORI_RIG_STATE || path.resolve(here, '../../../target/rig');
const HOST = '127.0.0.1';
const PORT = 9443;
const ISSUER = `https://${HOST}:${PORT}`;
const SHORT_TTL = Number(process.env.IDP_SHORT_TTL || 10);
const log = (...a) => console.log(new Date().toISOString(), ...a);

// ---- signing keys: generated once per state dir, so ID tokens stay verifiable across restarts ----
const keyDir = path.join(STATE, 'idp');
const jwksFile = path.join(keyDir, 'jwks.json');
fs.mkdirSync(keyDir, { recursive: true, mode: 0o700 });
if (!fs.existsSync(jwksFile)) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  Object.assign(jwk, { kid: `tayori-rig-${crypto.randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' });
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }), { mode: 0o600 });
}
const jwks = JSON.parse(fs.readFileSync(jwksFile, 'utf8'));
const cookieKeysFile = path.join(keyDir, 'cookie-keys.json');
if (!fs.existsSync(cookieKeysFile)) {
  fs.writeFileSync(cookieKeysFile, JSON.stringify([crypto.randomBytes(32).toString('base64url')]), { mode: 0o600 });
}
const cookieKeys = JSON.parse(fs.readFileSync(cookieKeysFile, 'utf8'));

// Grants, tokens, sessions and registered clients survive an IdP restart (like a real provider);
// stop.sh --clean removes them with the rest of the run state.
openStore(path.join(STATE, 'run', 'idp-store.json'));

// ---- test identities ----
const USERS = {
  'alice@example.test': { password: 'alice-idp-secret', name: 'Alice Example' },
  'carol@example.test': { password: 'carol-idp-secret', name: 'Carol Example' },
  'bob@example.test': { password: 'bob-idp-secret', name: 'Bob Example' },
};

// RFC 8252 loopback redirects. For native clients oidc-provider ignores the port of a
// loopback IP redirect URI, so http://127.0.0.1:<ephemeral>/callback matches.
const loopbackRedirects = [
  'http://127.0.0.1/', 'http://127.0.0.1/callback', 'http://[::1]/', 'http://[::1]/callback',
];
const nativeClient = (clientId) => ({
  client_id: clientId,
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: loopbackRedirects,
});

const configuration = {
  clients: [
    nativeClient('tayori'), // access tokens 3600 s
    nativeClient('tayori-short'), // access tokens IDP_SHORT_TTL s (expiry tests)
    { // resource server: Dovecot uses it only for RFC 7662 introspection
      client_id: 'dovecot',
      client_secret: 'dovecot-introspection-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks,
  adapter: FileAdapter,
  cookies: { keys: cookieKeys },
  scopes: ['openid', 'email', 'profile', 'offline_access', 'mail'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: {
    devInteractions: { enabled: false },
    introspection: { // RFC 7662: the resource server (Dovecot), or a client asking about its own token
      enabled: true,
      allowedPolicy: async (ctx, client, token) => client.clientId === 'dovecot' || token.clientId === client.clientId,
    },
    revocation: { // RFC 7009: a client may revoke only its own tokens
      enabled: true,
      allowedPolicy: async (ctx, client, token) => {
        if (token.clientId === client.clientId) return true;
        // a public client gets the RFC 7009 "200, nothing happened" answer; others an error
        if (client.clientAuthMethod === 'none') return false;
        throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
      },
    },
    registration: { enabled: true }, // RFC 7591, open (no initial access token)
  },
  responseTypes: ['code'],
  pkce: { required: () => true }, // oidc-provider 9 only knows S256
  ttl: {
    AccessToken: (ctx, token, client) => (client?.clientId === 'tayori-short' ? SHORT_TTL : 3600),
    AuthorizationCode: 60,
    Grant: 14 * 24 * 3600,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: 14 * 24 * 3600,
    Session: 14 * 24 * 3600,
  },
  // Put the mailbox address into every token record so that introspection returns it
  // (Dovecot: username_attribute = email).
  extraTokenClaims: async (ctx, token) => (token.accountId ? { email: token.accountId } : undefined),
  async findAccount(ctx, id) {
    if (!USERS[id]) return undefined;
    return {
      accountId: id,
      async claims() { return { sub: id, email: id, email_verified: true, name: USERS[id].name }; },
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><title>error</title><pre id="error">${escape(JSON.stringify(out))}</pre>`;
  },
};

const provider = new Provider(ISSUER, configuration);

// ---- Entra-ID-like offline_access --------------------------------------------------------------
// Stock oidc-provider strips offline_access from an authorization request unless it carries
// prompt=consent (OIDC Core 11), so no refresh token would be issued. Microsoft Entra ID, Google
// (access_type=offline) and most mail providers issue refresh tokens without prompt=consent, and
// Tayori must never send prompt=consent. So: when the client asked for offline_access, is allowed
// the refresh_token grant, and the provider dropped the scope, put it back into the pending
// interaction. The resume step re-reads the stored parameters without re-running that filter, so
// the consent screen lists offline_access, the grant records it, the code carries it and the token
// endpoint issues a refresh token through the normal path. Native clients always pass through the
// consent interaction, so this covers every authorization of a native client.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/auth' || ctx.status !== 303) return;
  const requested = (ctx.method === 'POST' ? ctx.oidc?.body?.scope : ctx.query.scope) || '';
  if (!String(requested).split(' ').includes('offline_access')) return;
  const m = /^\/interaction\/([^/?#]+)$/.exec(ctx.response.get('location') || '');
  if (!m) return;
  const interaction = await provider.Interaction.find(m[1]);
  if (!interaction) return;
  const { params } = interaction;
  const scopes = String(params.scope || '').split(' ').filter(Boolean);
  if (scopes.includes('offline_access') || !String(params.response_type || '').split(' ').includes('code')) return;
  const client = await provider.Client.find(params.client_id);
  if (!client || !client.grantTypeAllowed('refresh_token')) return;
  if (client.scope && !client.scope.split(' ').includes('offline_access')) return;
  params.scope = [...scopes, 'offline_access'].join(' ');
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
});

// one line per request: method, path (never the query string), status
provider.use(async (ctx, next) => {
  await next();
  // interaction / resume uids are masked: they identify a pending login
  log('http', ctx.method, ctx.path.replace(/^\/(interaction|auth)\/[^/]+/, '/$1/…'), ctx.status);
});
for (const ev of ['server_error', 'authorization.error', 'grant.error', 'introspection.error', 'revocation.error',
  'registration_create.error', 'userinfo.error', 'end_session.error']) {
  provider.on(ev, (ctx, err) => log(ev, err?.name || '', err?.message || '', err?.error_description || ''));
}
provider.on('grant.success', (ctx) => log('grant.success', ctx.oidc.params.grant_type, ctx.oidc.client?.clientId));
provider.on('grant.revoked', (ctx, grantId) => log('grant.revoked', ctx.oidc.client?.clientId || ''));
provider.on('registration_create.success', (ctx, client) => log('registration_create.success', client.clientId));

// ---- login + consent forms ---------------------------------------------------------------------
function escape(s) { return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`); }
function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head><body>${body}</body></html>`;
}
async function readForm(req) {
  return Object.fromEntries(new URLSearchParams((await readBody(req)).toString('utf8')));
}
function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}
function passwordOk(user, given) {
  const a = crypto.createHash('sha256').update(String(USERS[user]?.password ?? crypto.randomUUID())).digest();
  const b = crypto.createHash('sha256').update(String(given ?? '')).digest();
  return Boolean(USERS[user]) && crypto.timingSafeEqual(a, b);
}
function loginForm(uid, params, error) {
  return page('Sign in', `
<h1>Sign in to ${escape(params.client_id)}</h1>
${error ? `<p id="error">${escape(error)}</p>` : ''}
<form id="login" method="post" action="/interaction/${uid}/login" autocomplete="off">
  <input type="hidden" name="uid" value="${uid}">
  <label>Email <input name="username" type="email" value="${escape(params.login_hint || '')}" required></label>
  <label>Password <input name="password" type="password" required></label>
  <button type="submit">Sign in</button>
</form>
<form id="abort" method="post" action="/interaction/${uid}/abort"><button>Cancel</button></form>`);
}

async function interaction(req, res) {
  const url = new URL(req.url, ISSUER);
  const m = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/);
  if (!m) return send(res, 404, page('not found', 'not found'));
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (req.method === 'GET') {
    if (prompt.name === 'login') return send(res, 200, loginForm(uid, params));
    if (prompt.name === 'consent') {
      return send(res, 200, page('Consent', `
<h1>${escape(params.client_id)} wants access for ${escape(session?.accountId)}</h1>
<p>scope: <code>${escape(params.scope)}</code></p>
<form id="consent" method="post" action="/interaction/${uid}/confirm">
  <input type="hidden" name="uid" value="${uid}">
  <button type="submit">Allow</button>
</form>
<form id="abort" method="post" action="/interaction/${uid}/abort"><button>Deny</button></form>`));
    }
    return send(res, 400, page('unknown prompt', escape(prompt.name)));
  }
  if (req.method !== 'POST') return send(res, 405, page('method', 'method not allowed'));
  const form = await readForm(req);
  if (m[2] === 'login' && prompt.name === 'login') {
    if (!passwordOk(form.username, form.password)) {
      log('login.failed', 'client', params.client_id);
      return send(res, 401, loginForm(uid, params, 'invalid email or password'));
    }
    log('login.success', 'client', params.client_id);
    return provider.interactionFinished(req, res, { login: { accountId: form.username } }, { mergeWithLastSubmission: false });
  }
  if (m[2] === 'confirm' && prompt.name === 'consent') {
    const { details: pd } = prompt;
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (pd.missingOIDCScope) grant.addOIDCScope(pd.missingOIDCScope.join(' '));
    if (pd.missingOIDCClaims) grant.addOIDCClaims(pd.missingOIDCClaims);
    if (pd.missingResourceScopes) {
      for (const [ind, sc] of Object.entries(pd.missingResourceScopes)) grant.addResourceScope(ind, sc.join(' '));
    }
    const grantId = await grant.save();
    const consent = {};
    if (!details.grantId) consent.grantId = grantId;
    return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
  }
  if (m[2] === 'abort') {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
  }
  return send(res, 400, page('bad request', 'this form does not match the pending step'));
}

const providerCallback = provider.callback();
const server = https.createServer({
  key: fs.readFileSync(path.join(STATE, 'pki/server.key')),
  cert: fs.readFileSync(path.join(STATE, 'pki/server.crt')),
}, async (req, res) => {
  try {
    logRequest(req, res);
    // Read before anything else, so the log sees every body (oidc-provider then takes req.body).
    if (req.method === 'POST') req.body = await readBody(req);
    if (req.url.startsWith('/interaction/')) {
      await interaction(req, res);
      log('http', req.method, '/interaction/…', res.statusCode);
      return undefined;
    }
    return providerCallback(req, res);
  } catch (err) {
    log('interaction error', err?.name || '', err?.message || '');
    if (!res.headersSent) send(res, err?.statusCode || 500, page('error', `<pre id="error">${escape(err?.message)}</pre>`));
    return undefined;
  }
});
server.on('error', (err) => { log('listen error', err.message); process.exit(1); });
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); process.exit(0); });
server.listen(PORT, HOST, () => log(`oidc-provider ${ISSUER} listening on ${HOST}:${PORT} (tayori-short access tokens: ${SHORT_TTL} s)`));
