// Google's OAuth 2.0 for desktop apps, as an emulator for Tayori's rig: panva's oidc-provider does
// the OAuth work, and this file puts Google's documented behaviour around it — the authorization
// endpoint on accounts.google.com and the token endpoint on oauth2.googleapis.com, the desktop
// client secret required at the token endpoint, a refresh token only with access_type=offline
// and only at first consent, no rotation, RFC 7009 revocation at /revoke, no registration, the
// device flow refusing Gmail scopes. Every behaviour and its source: tests/rig/README.md
// ("Google emulator").
//
// Serves accounts.google.com, oauth2.googleapis.com and www.googleapis.com on 127.0.0.40:443
// through the rig's DNS; the admin API and Dovecot's token introspection on
// http://127.0.0.40:9000. Never logs tokens, codes, secrets or query strings.
import https from 'node:https';
import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import querystring from 'node:querystring';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';
import FileAdapter, { openStore } from './file-adapter.mjs';
import {
  log, logRequest, escape, page, send, sendJson, readBody, readForm, passwordOk, loadKeys, JsonState, adminServer,
} from './rig-common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const STATE = process.env.TAYORI_RIG_STATE || path.resolve(here, '../../../target/rig');
const ADDR = '127.0.0.40';
const ADMIN_PORT = 9000;
const ISSUER = 'https://accounts.google.com';
const ACCOUNTS = 'accounts.google.com';
const OAUTH2 = 'oauth2.googleapis.com';
const APIS = 'www.googleapis.com';
const MAIL = 'https://mail.google.com/';

// ---- directory (test data; README lists it). Passwords: "<local part>-google-secret" ----
const seq = (n) => Array.from({ length: n }, (_, i) => `t${String(i + 1).padStart(2, '0')}`);
const USERS = Object.fromEntries([
  ...seq(12).map((l) => `${l}@gmail.com`),
  ...['admin', 'kenji', ...seq(4)].map((l) => `${l}@workspace.test`),
].map((email) => [email, {
  password: `${email.split('@')[0]}-google-secret`,
  name: email.split('@')[0].replace(/^./, (c) => c.toUpperCase()),
  hd: email.endsWith('@gmail.com') ? undefined : email.split('@')[1],
}]));

const CLIENTS = {
  // a "Desktop app" OAuth client of a published, verified app
  '406000000001-tayoririgdesktop.apps.googleusercontent.com': {
    name: 'Tayori', type: 'desktop', secret: 'GOCSPX-rig-desktop-not-a-secret', status: 'production', verified: true,
  },
  // the same app while its consent screen is in "Testing": unverified warning, test users only,
  // refresh tokens that expire after 7 days
  '406000000002-tayoririgtesting.apps.googleusercontent.com': {
    name: 'Tayori (testing)', type: 'desktop', secret: 'GOCSPX-rig-testing-not-a-secret', status: 'testing', verified: false,
    test_users: ['t11@gmail.com', 't12@gmail.com'],
  },
  // a "TVs and Limited Input devices" client (the only type the device flow accepts)
  '406000000003-tayoririgtv.apps.googleusercontent.com': {
    name: 'Tayori (TV)', type: 'tv', secret: 'GOCSPX-rig-tv-not-a-secret', status: 'production', verified: true,
  },
};
const SCOPES = ['openid', 'email', 'profile', MAIL];
const SCOPE_ALIASES = {
  'https://www.googleapis.com/auth/userinfo.email': 'email',
  'https://www.googleapis.com/auth/userinfo.profile': 'profile',
};
// scopes the device flow allows (Google's "Allowed scopes" list for TVs and limited input devices)
const DEVICE_SCOPES = new Set(['openid', 'email', 'profile', 'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile', 'https://www.googleapis.com/auth/drive.appdata',
  'https://www.googleapis.com/auth/drive.file', 'https://www.googleapis.com/auth/youtube',
  'https://www.googleapis.com/auth/youtube.readonly']);

const { jwks, cookieKeys, publicJwks } = loadKeys(path.join(STATE, 'google'), 'google-rig');
openStore(path.join(STATE, 'run', 'google-store.json'));
const state = new JsonState(path.join(STATE, 'run', 'google-state.json'), () => ({
  grants: {}, // { [email]: { [client_id]: { scopes, at } } } — what the person allowed the app
  users: {}, // { [email]: { revoked_at, access_token_ttl } }
  clients: {}, // overrides, e.g. { testing_refresh_ttl }
  domains: {}, // Workspace admin settings, e.g. { "workspace.test": { block_unconfigured_apps: true } }
}));
const D = state.data;
const clientOf = (id) => (CLIENTS[id] ? { ...CLIENTS[id], ...(D.clients[id] || {}) } : undefined);
const userOf = (email) => USERS[String(email || '').toLowerCase()];
const now = () => Math.floor(Date.now() / 1000);

function normalizeScopes(scope) {
  return [...new Set(String(scope || '').split(/\s+/).filter(Boolean).map((s) => SCOPE_ALIASES[s] || s))];
}

/** Google's error page for a request it will not send back to the app ("Error 400: ..."). */
function errorPage(res, status, error, message) {
  log('page.error', error);
  return send(res, status, page('Error', `
<h1 id="error-title">Access blocked: Authorization Error</h1>
<p id="error-message">${escape(message)}</p>
<p id="error" data-error="${escape(error)}">Error ${status}: ${escape(error)}</p>`));
}

function jsonError(status, error, description) {
  return [status, description === undefined ? { error } : { error, error_description: description }];
}

// ---- loopback redirect URIs of desktop clients ("Loopback IP address" in Google's native-app
// guide): http://127.0.0.1:<port>, http://[::1]:<port> or http://localhost:<port>, any path
function redirectAllowed(client, uri) {
  if (client.type !== 'desktop') return false;
  let u;
  try { u = new URL(uri); } catch { return false; }
  return u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname) && !u.hash;
}

// ------------------------------------------------------------------------------------------------
// oidc-provider
// ------------------------------------------------------------------------------------------------
const codeMeta = new Map(); // code -> { refresh: bool }
const authMeta = new Map(); // interaction uid -> { access_type, prompt, include_granted_scopes, scope }
function remember(map, key, value, ttlMs = 3600_000) {
  map.set(key, value);
  setTimeout(() => map.delete(key), ttlMs).unref();
}

const configuration = {
  clients: Object.entries(CLIENTS).filter(([, c]) => c.type === 'desktop').map(([id, c]) => ({
    client_id: id,
    client_secret: c.secret,
    application_type: 'native',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/'], // Google's own matching is installed below
  })),
  jwks,
  adapter: FileAdapter,
  cookies: { keys: cookieKeys },
  scopes: SCOPES,
  extraParams: ['access_type', 'include_granted_scopes', 'authuser', 'hd'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'hd'] },
  routes: { authorization: '/o/oauth2/v2/auth', token: '/token', jwks: '/oauth2/v3/certs' },
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: false },
    revocation: { enabled: false }, // Google's /revoke is served below (no client authentication)
    registration: { enabled: false },
    userinfo: { enabled: false },
    rpInitiatedLogout: { enabled: false },
  },
  responseTypes: ['code'],
  pkce: { required: () => false },
  rotateRefreshToken: false, // Google keeps the refresh token; a refresh answers without one
  expiresWithSession: () => false,
  // a refresh token only with access_type=offline, and only when this authorization was the
  // person's first consent to the app (or prompt=consent asked again)
  issueRefreshToken: async (ctx, client, code) => Boolean(codeMeta.get(code.jti)?.refresh),
  ttl: {
    AccessToken: (ctx, token) => D.users[token.accountId]?.access_token_ttl || 3599,
    AuthorizationCode: 600,
    Grant: 365 * 24 * 3600,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: (ctx, token, client) => (clientOf(client.clientId)?.status === 'testing'
      ? Number(clientOf(client.clientId).testing_refresh_ttl || 7 * 24 * 3600) : 182 * 24 * 3600),
    Session: 14 * 24 * 3600,
  },
  async findAccount(ctx, id) {
    const user = userOf(id);
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: String(BigInt(`0x${crypto.createHash('sha256').update(id).digest('hex').slice(0, 15)}`)),
          email: id, email_verified: true, name: user.name, ...(user.hd ? { hd: user.hd } : {}),
        };
      },
    };
  },
  interactions: { url: (ctx, interaction) => `/signin/oauth/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Error', `<h1 id="error-title">Something went wrong</h1><p id="error" data-error="${escape(out.error)}">Error 400: ${escape(out.error)}</p><p>${escape(out.error_description)}</p>`);
  },
};

const provider = new Provider(ISSUER, configuration);
provider.Client.prototype.redirectUriAllowed = function googleRedirectAllowed(value) {
  const client = clientOf(this.clientId);
  return Boolean(client) && redirectAllowed(client, value);
};
provider.on('grant.error', (ctx, err) => { ctx.state.grantError = err; log('grant.error', err?.message || ''); });
provider.on('authorization.error', (ctx, err) => log('authorization.error', err?.error || '', err?.message || ''));
provider.on('server_error', (ctx, err) => log('server_error', err?.message || ''));
provider.on('grant.success', (ctx) => log('grant.success', ctx.oidc.params.grant_type, ctx.oidc.client?.clientId));

provider.use(async (ctx, next) => {
  const route = ctx.path;
  if (route === '/token' && ctx.method === 'POST') {
    const body = querystring.parse(Buffer.isBuffer(ctx.req.body) ? ctx.req.body.toString() : '');
    if (body.grant_type === 'refresh_token') {
      const rt = await provider.RefreshToken.find(String(body.refresh_token || ''), { ignoreExpiration: true });
      const revokedAt = rt && D.users[rt.accountId]?.revoked_at;
      if (rt && revokedAt && rt.iat < revokedAt) {
        [ctx.status, ctx.body] = jsonError(400, 'invalid_grant', 'Token has been expired or revoked.');
        log('token.refused', 'refresh_token', 'invalid_grant revoked');
        return;
      }
    }
    await next();
    if (ctx.status >= 400) {
      const err = ctx.state.grantError;
      const e = ctx.body?.error;
      const message = String(err?.message || '');
      if (e === 'invalid_grant') {
        if (body.grant_type === 'refresh_token') ctx.body = { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' };
        else if (/redirect_uri/.test(message)) ctx.body = { error: 'redirect_uri_mismatch', error_description: 'Bad Request' };
        else if (/PKCE|verifier/i.test(message)) ctx.body = { error: 'invalid_grant', error_description: 'Invalid code verifier.' };
        else ctx.body = { error: 'invalid_grant', error_description: 'Bad Request' };
      } else if (e === 'invalid_client') {
        ctx.status = 401;
        ctx.body = { error: 'invalid_client', error_description: 'Unauthorized' };
      } else if (e === 'invalid_request') {
        const missing = /'?([a-z_]+)'? missing/.exec(String(ctx.body?.error_description || ''))?.[1];
        ctx.body = { error: 'invalid_request', error_description: missing ? `Missing required parameter: ${missing}` : 'Bad Request' };
      } else if (e === 'unsupported_grant_type') {
        ctx.body = { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${body.grant_type || ''}` };
      }
      log('token.error', body.grant_type, ctx.body?.error);
      return;
    }
    if (ctx.body && typeof ctx.body === 'object') {
      const out = { ...ctx.body };
      if (body.grant_type === 'refresh_token') delete out.refresh_token; // not rotated
      if (out.refresh_token && clientOf(body.client_id)?.status === 'testing') {
        out.refresh_token_expires_in = Number(clientOf(body.client_id).testing_refresh_ttl || 7 * 24 * 3600) - 1;
      }
      ctx.body = out;
    }
    return;
  }
  await next();
  if (route.startsWith('/o/oauth2/v2/auth') && ctx.status === 303) {
    const location = ctx.response.get('location') || '';
    const m = /\/signin\/oauth\/([^/?#]+)$/.exec(location);
    const resumed = /^\/o\/oauth2\/v2\/auth\/([^/]+)$/.exec(route);
    if (m && resumed && authMeta.has(resumed[1])) remember(authMeta, m[1], authMeta.get(resumed[1]));
    if (m && route === '/o/oauth2/v2/auth') {
      remember(authMeta, m[1], {
        access_type: ctx.query.access_type || 'online',
        prompt: String(ctx.query.prompt || ''),
        include_granted_scopes: ctx.query.include_granted_scopes === 'true',
        scope: normalizeScopes(ctx.query.scope),
      });
    } else if (!m && resumed) {
      const url = new URL(location, `${ISSUER}/`);
      const code = url.searchParams.get('code');
      const meta = authMeta.get(resumed[1]) || {};
      if (code) {
        remember(codeMeta, code, { refresh: Boolean(meta.refresh) }, 700_000);
        url.searchParams.set('scope', (meta.granted || []).map((s) => (s === 'email' ? 'https://www.googleapis.com/auth/userinfo.email' : s)).join(' '));
        url.searchParams.set('authuser', '0');
        url.searchParams.set('prompt', meta.shownConsent ? 'consent' : 'none');
        ctx.response.set('location', url.href);
      }
    }
  }
});

// ------------------------------------------------------------------------------------------------
// accounts.google.com: the authorization request's checks, sign-in and consent pages
// ------------------------------------------------------------------------------------------------
function authorizeChecks(res, q) {
  if (!q.client_id) return errorPage(res, 400, 'invalid_request', 'Missing required parameter: client_id');
  const client = clientOf(q.client_id);
  if (!client) return errorPage(res, 401, 'invalid_client', 'The OAuth client was not found.');
  if (!q.redirect_uri) return errorPage(res, 400, 'invalid_request', 'Missing required parameter: redirect_uri');
  if (q.redirect_uri === 'urn:ietf:wg:oauth:2.0:oob') {
    return errorPage(res, 400, 'invalid_request', 'The out-of-band (OOB) flow has been blocked in order to keep users secure.');
  }
  if (!redirectAllowed(client, q.redirect_uri)) {
    return errorPage(res, 400, 'redirect_uri_mismatch', `You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. If you're the app developer, register the redirect URI in the Google Cloud Console. Request details: redirect_uri=${q.redirect_uri}`);
  }
  if (!q.response_type) return errorPage(res, 400, 'invalid_request', 'Required parameter is missing: response_type');
  if (q.response_type !== 'code') return errorPage(res, 400, 'unsupported_response_type', `Invalid response_type: ${q.response_type}`);
  if (!q.scope) return errorPage(res, 400, 'invalid_request', 'Missing required parameter: scope');
  const invalid = normalizeScopes(q.scope).filter((s) => !SCOPES.includes(s));
  if (invalid.length) return errorPage(res, 400, 'invalid_scope', `Some requested scopes were invalid. {invalid=[${invalid.join(', ')}]}`);
  if (q.access_type && !['online', 'offline'].includes(q.access_type)) {
    return errorPage(res, 400, 'invalid_request', `Invalid access_type: ${q.access_type}`);
  }
  if (q.code_challenge_method && !['S256', 'plain'].includes(q.code_challenge_method)) {
    return errorPage(res, 400, 'invalid_request', `Invalid code_challenge_method: ${q.code_challenge_method}`);
  }
  if (q.prompt && !String(q.prompt).split(' ').every((p) => ['none', 'consent', 'select_account'].includes(p))) {
    return errorPage(res, 400, 'invalid_request', `Invalid prompt: ${q.prompt}`);
  }
  return null;
}

function loginPage(uid, params, error) {
  return page('Sign in - Google Accounts', `
<h1>Sign in</h1><p>to continue to ${escape(clientOf(params.client_id)?.name)}</p>
${error ? `<p id="error">${escape(error)}</p>` : ''}
<form id="login" method="post" action="/signin/oauth/${uid}/login" autocomplete="off">
  <input type="hidden" name="uid" value="${uid}">
  <label>Email or phone <input name="username" type="email" value="${escape(params.login_hint || '')}" required></label>
  <label>Enter your password <input name="password" type="password" required></label>
  <button type="submit">Next</button>
</form>`);
}

function unverifiedPage(uid, client) {
  return page('Google hasn’t verified this app', `
<h1 id="unverified">Google hasn’t verified this app</h1>
<p>The app is requesting access to sensitive info in your Google Account. Until the developer (${escape(client.name)}) verifies this app with Google, you shouldn't use it.</p>
<form id="continue" method="post" action="/signin/oauth/${uid}/continue">
  <input type="hidden" name="uid" value="${uid}">
  <button type="submit">Go to ${escape(client.name)} (unsafe)</button>
</form>
<form id="abort" method="post" action="/signin/oauth/${uid}/abort"><button>Back to safety</button></form>`);
}

function consentPage(uid, client, email, scopes) {
  const describe = { [MAIL]: 'Read, compose, send, and permanently delete all your email from Gmail', email: 'See your primary Google Account email address', profile: 'See your personal info', openid: 'Associate you with your personal info on Google' };
  // granular consent: every scope but the sign-in ones has its own checkbox
  const items = scopes.map((s) => (['openid', 'email', 'profile'].includes(s)
    ? `<li>${escape(describe[s] || s)}<input type="hidden" name="scope" value="${escape(s)}"></li>`
    : `<li><label><input type="checkbox" name="scope" value="${escape(s)}" checked> ${escape(describe[s] || s)}</label></li>`)).join('');
  return page(`${client.name} wants access to your Google Account`, `
<h1 id="consent-title">${escape(client.name)} wants access to your Google Account</h1>
<p>${escape(email)}</p>
<form id="consent" method="post" action="/signin/oauth/${uid}/consent">
  <input type="hidden" name="uid" value="${uid}">
  <ul>${items}</ul>
  <button type="submit">Continue</button>
</form>
<form id="abort" method="post" action="/signin/oauth/${uid}/abort"><button>Cancel</button></form>`);
}

async function finishConsent(req, res, details, granted, requested = granted) {
  const { prompt, params, session } = details;
  const grant = details.grantId ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  grant.addOIDCScope(granted.join(' '));
  // what the person left unticked is decided too (not asked again in this authorization)
  const unticked = requested.filter((s) => !granted.includes(s));
  if (unticked.length) grant.rejectOIDCScope(unticked.join(' '));
  const pd = prompt.details || {};
  if (pd.missingOIDCClaims) grant.addOIDCClaims(pd.missingOIDCClaims);
  const grantId = await grant.save();
  const consent = {};
  if (!details.grantId) consent.grantId = grantId;
  return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
}

/** After the person decided (or had decided before): record it, and whether a refresh token comes. */
async function consented(req, res, details, granted, { shownConsent }) {
  const { uid, params, session } = details;
  const email = session.accountId;
  const meta = authMeta.get(uid) || {};
  const before = D.grants[email]?.[params.client_id];
  const firstConsent = !before;
  D.grants[email] ||= {};
  const all = meta.include_granted_scopes || before ? [...new Set([...(before?.scopes || []), ...granted])] : granted;
  D.grants[email][params.client_id] = { scopes: all, at: now() };
  state.save();
  const forced = String(meta.prompt || '').split(' ').includes('consent');
  meta.refresh = meta.access_type === 'offline' && (firstConsent || forced);
  meta.granted = meta.include_granted_scopes ? all : granted;
  meta.shownConsent = shownConsent;
  remember(authMeta, uid, meta);
  log('consent', params.client_id, firstConsent ? 'first' : 'again', meta.refresh ? 'refresh_token' : 'no_refresh_token');
  return finishConsent(req, res, details, meta.granted, meta.scope || normalizeScopes(params.scope));
}

async function consentStep(req, res, details) {
  const { uid, params, session } = details;
  const client = clientOf(params.client_id);
  const meta = authMeta.get(uid) || {};
  const requested = meta.scope || normalizeScopes(params.scope);
  const before = D.grants[session.accountId]?.[params.client_id]?.scopes || [];
  const forced = String(meta.prompt || '').split(' ').includes('consent');
  if (!forced && requested.every((s) => before.includes(s))) return consented(req, res, details, requested, { shownConsent: false });
  return send(res, 200, consentPage(uid, client, session.accountId, requested));
}

const passed = new Map(); // uid -> true once the unverified-app warning was passed

async function interaction(req, res, url) {
  const m = url.pathname.match(/^\/signin\/oauth\/([^/]+)(?:\/(login|continue|consent|abort))?$/);
  if (!m) return send(res, 404, page('Not found', 'not found'));
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  const client = clientOf(params.client_id);
  if (req.method === 'GET') {
    if (prompt.name === 'login') return send(res, 200, loginPage(uid, params));
    if (prompt.name === 'consent') {
      if (!client.verified && !passed.has(uid)) return send(res, 200, unverifiedPage(uid, client));
      return consentStep(req, res, details);
    }
    return send(res, 400, page('unknown prompt', escape(prompt.name)));
  }
  const form = await readForm(req);
  const step = m[2];
  if (step === 'login' && prompt.name === 'login') {
    const email = String(form.username || '').trim().toLowerCase();
    if (!userOf(email)) return send(res, 200, loginPage(uid, params, 'Couldn’t find your Google Account'));
    if (!passwordOk(USERS, email, form.password)) {
      log('login.failed', 'client', params.client_id);
      return send(res, 200, loginPage(uid, params, 'Wrong password. Try again or click Forgot password to reset it.'));
    }
    if (client.status === 'testing' && !(client.test_users || []).includes(email)) {
      return errorPage(res, 403, 'access_denied', `${client.name} has not completed the Google verification process. The app is currently being tested, and can only be accessed by developer-approved testers.`);
    }
    const domain = email.split('@')[1];
    if (D.domains[domain]?.block_unconfigured_apps && !(D.domains[domain].trusted_apps || []).includes(params.client_id)) {
      return errorPage(res, 400, 'admin_policy_enforced', `Access blocked: Your institution's admin needs to review ${client.name}. ${client.name} has requested access to sensitive info in your ${domain} account. Your admin must review and configure access to the app.`);
    }
    log('login.success', 'client', params.client_id);
    return provider.interactionFinished(req, res, { login: { accountId: email, amr: ['pwd'] } }, { mergeWithLastSubmission: false });
  }
  if (step === 'continue' && prompt.name === 'consent') {
    passed.set(uid, true);
    setTimeout(() => passed.delete(uid), 3600_000).unref();
    return consentStep(req, res, details);
  }
  if (step === 'consent' && prompt.name === 'consent') {
    const meta = authMeta.get(uid) || {};
    const requested = meta.scope || normalizeScopes(params.scope);
    const chosen = [].concat(form.scope || []).filter((s) => requested.includes(s));
    if (!chosen.length) {
      return provider.interactionFinished(req, res, { error: 'access_denied' }, { mergeWithLastSubmission: false });
    }
    return consented(req, res, details, chosen, { shownConsent: true });
  }
  if (step === 'abort') {
    return provider.interactionFinished(req, res, { error: 'access_denied' }, { mergeWithLastSubmission: false });
  }
  return send(res, 400, page('bad request', 'this form does not match the pending step'));
}

// ------------------------------------------------------------------------------------------------
// oauth2.googleapis.com: token (client secret checks first), revoke, device code
// ------------------------------------------------------------------------------------------------
/** Google's client authentication at the token endpoint: the desktop secret is required. */
function clientAuthRefusal(body, req) {
  let clientId = body.client_id;
  let secret = body.client_secret;
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization || '');
  if (basic) {
    const [id, s] = Buffer.from(basic[1], 'base64').toString().split(':').map((x) => decodeURIComponent(x || ''));
    clientId = clientId || id;
    secret = secret || s;
  }
  if (!clientId) return jsonError(400, 'invalid_request', 'Could not determine client ID from request.');
  const client = clientOf(clientId);
  if (!client) return jsonError(401, 'invalid_client', 'The OAuth client was not found.');
  if (!secret) return jsonError(400, 'invalid_request', 'client_secret is missing.');
  const a = crypto.createHash('sha256').update(client.secret).digest();
  const b = crypto.createHash('sha256').update(String(secret)).digest();
  if (!crypto.timingSafeEqual(a, b)) return jsonError(401, 'invalid_client', 'Unauthorized');
  body.client_id = clientId;
  body.client_secret = secret;
  return null;
}

async function revoke(req, res, url) {
  const raw = req.method === 'POST' ? (await readBody(req)).toString() : '';
  const token = String(querystring.parse(raw).token || url.searchParams.get('token') || '');
  const found = await provider.AccessToken.find(token) || await provider.RefreshToken.find(token);
  if (!found) return sendJson(res, 400, { error: 'invalid_token', error_description: 'Token expired or revoked' });
  // revoking either token ends the whole grant: the refresh token, its access tokens, and the
  // person's permission for the app (the next sign-in is a first consent again)
  const grant = found.grantId && await provider.Grant.find(found.grantId);
  if (grant) await grant.destroy();
  await new FileAdapter('Grant').revokeByGrantId(found.grantId);
  if (D.grants[found.accountId]) delete D.grants[found.accountId][found.clientId];
  state.save();
  log('revoke', found.clientId);
  return sendJson(res, 200, {});
}

async function deviceCode(req, res) {
  const body = querystring.parse((await readBody(req)).toString());
  const client = clientOf(body.client_id);
  if (!client) return sendJson(res, 401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
  if (client.type !== 'tv') {
    return sendJson(res, 401, {
      error: 'invalid_client',
      error_description: "Only clients of type 'TVs and Limited Input devices' can use the OAuth 2.0 flow for TV and Limited-Input Device Applications. Please create and use an appropriate client.",
    });
  }
  const scopes = String(body.scope || '').split(/\s+/).filter(Boolean);
  if (!scopes.length || scopes.some((s) => !DEVICE_SCOPES.has(s))) return sendJson(res, 400, { error: 'invalid_scope' });
  // allowed scopes only: no mail client can use this, and the rig does not go further
  return sendJson(res, 501, { error: 'not_emulated', error_description: 'the rig emulates only the device flow refusals' });
}

function discovery() {
  return {
    issuer: ISSUER,
    authorization_endpoint: `https://${ACCOUNTS}/o/oauth2/v2/auth`,
    device_authorization_endpoint: `https://${OAUTH2}/device/code`,
    token_endpoint: `https://${OAUTH2}/token`,
    userinfo_endpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
    revocation_endpoint: `https://${OAUTH2}/revoke`,
    jwks_uri: `https://${APIS}/oauth2/v3/certs`,
    response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'email', 'profile'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
    code_challenge_methods_supported: ['plain', 'S256'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:jwt-bearer'],
  };
}

const providerCallback = provider.callback();

async function handle(req, res) {
  const url = new URL(req.url, `https://${req.headers.host || ACCOUNTS}`);
  const host = url.hostname;
  const logged = (p, status) => log('http', req.method, `${host}${p}`, status);
  if (host === ACCOUNTS) {
    if (url.pathname === '/.well-known/openid-configuration' && req.method === 'GET') {
      logged(url.pathname, 200);
      return sendJson(res, 200, discovery(), { 'cache-control': 'public, max-age=3600' });
    }
    if (url.pathname.startsWith('/signin/oauth/')) {
      await interaction(req, res, url);
      logged('/signin/oauth/…', res.statusCode);
      return undefined;
    }
    if (url.pathname === '/o/oauth2/v2/auth' && req.method === 'GET') {
      if (authorizeChecks(res, Object.fromEntries(url.searchParams)) !== null) { logged(url.pathname, res.statusCode); return undefined; }
    }
    if (url.pathname === '/o/oauth2/v2/auth' || /^\/o\/oauth2\/v2\/auth\/[^/]+$/.test(url.pathname)) {
      res.on('finish', () => logged(url.pathname.replace(/auth\/.+$/, 'auth/…'), res.statusCode));
      return providerCallback(req, res);
    }
  } else if (host === OAUTH2) {
    if (url.pathname === '/token' && req.method === 'POST') {
      const raw = (await readBody(req)).toString();
      const body = querystring.parse(raw);
      const refusal = clientAuthRefusal(body, req);
      if (refusal) {
        logged(url.pathname, refusal[0]);
        log('token.refused', body.grant_type, refusal[1].error);
        return sendJson(res, ...refusal);
      }
      delete req.headers.authorization; // the secret now travels in the body, as registered
      req.body = Buffer.from(querystring.stringify(body));
      req.headers['content-length'] = String(req.body.length);
      res.on('finish', () => logged(url.pathname, res.statusCode));
      return providerCallback(req, res);
    }
    if (url.pathname === '/revoke' && req.method === 'POST') {
      await revoke(req, res, url);
      logged(url.pathname, res.statusCode);
      return undefined;
    }
    if (url.pathname === '/device/code' && req.method === 'POST') {
      await deviceCode(req, res);
      logged(url.pathname, res.statusCode);
      return undefined;
    }
  } else if (host === APIS && url.pathname === '/oauth2/v3/certs') {
    logged(url.pathname, 200);
    return sendJson(res, 200, publicJwks);
  }
  logged(url.pathname, 404);
  return send(res, 404, page('Error 404 (Not Found)', '<p>404. That’s an error.</p>'));
}

const server = https.createServer({
  key: fs.readFileSync(path.join(STATE, 'pki/server.key')),
  cert: fs.readFileSync(path.join(STATE, 'pki/server.crt')),
}, async (req, res) => {
  try {
    logRequest(req, res);
    // Read before anything else, so the log sees every body (oidc-provider then takes req.body).
    if (req.method === 'POST') req.body = await readBody(req);
    await handle(req, res);
  } catch (err) {
    log('request error', err?.name || '', err?.message || '');
    if (!res.headersSent) send(res, 500, page('error', `<pre id="error">${escape(err?.message)}</pre>`));
  }
});
server.on('error', (err) => { log('listen error', err.message); process.exit(1); });
server.listen(443, ADDR, () => log(`Google emulator https://${ACCOUNTS} + https://${OAUTH2} listening on ${ADDR}:443`));

adminServer(ADDR, ADMIN_PORT, [
  ['GET', /^\/state$/, async () => [200, D]],
  ['POST', /^\/introspect$/, async (m, body) => {
    const at = await provider.AccessToken.find(String(body.token || ''));
    if (!at || at.isExpired) return [200, { active: false }];
    return [200, { active: true, email: at.accountId, sub: at.accountId, client_id: at.clientId, scope: at.scope, exp: at.exp }];
  }],
  ['PUT', /^\/users\/([^/]+)$/, async (m, body) => {
    const email = decodeURIComponent(m[1]).toLowerCase();
    if (!userOf(email)) throw new Error('unknown user');
    D.users[email] = { ...(D.users[email] || {}), ...body };
    state.save();
    return [200, D.users[email]];
  }],
  // a password change: Gmail-scoped refresh tokens stop working
  ['POST', /^\/users\/([^/]+)\/revoke-tokens$/, async (m) => {
    const email = decodeURIComponent(m[1]).toLowerCase();
    if (!userOf(email)) throw new Error('unknown user');
    D.users[email] = { ...(D.users[email] || {}), revoked_at: now() + 1 };
    state.save();
    return [200, D.users[email]];
  }],
  // the person removes the app at myaccount.google.com/permissions
  ['DELETE', /^\/grants\/([^/]+)\/([^/]+)$/, async (m) => {
    const email = decodeURIComponent(m[1]).toLowerCase();
    if (D.grants[email]) delete D.grants[email][m[2]];
    state.save();
    return [200, {}];
  }],
  ['PUT', /^\/clients\/([^/]+)$/, async (m, body) => {
    if (!CLIENTS[m[1]]) throw new Error('unknown client');
    D.clients[m[1]] = { ...(D.clients[m[1]] || {}), ...body };
    state.save();
    return [200, clientOf(m[1])];
  }],
  ['PUT', /^\/domains\/([^/]+)$/, async (m, body) => {
    D.domains[m[1]] = { ...(D.domains[m[1]] || {}), ...body };
    state.save();
    return [200, D.domains[m[1]]];
  }],
], 'google');

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); process.exit(0); });
