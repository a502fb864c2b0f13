// Microsoft Entra ID (v2.0 endpoints) as an emulator for Tayori's rig: panva's oidc-provider does
// the OAuth work (codes, PKCE, tokens, rotation), and this file puts Entra's documented behaviour
// around it — tenant paths and issuers, no dynamic registration, consent policy and admin consent,
// conditional access and MFA rules, AADSTS error answers, Entra's loopback redirect matching.
// Every behaviour and its source is listed in tests/rig/README.md ("Entra ID emulator").
//
// Serves https://login.microsoftonline.com (and https://microsoft.com/devicelogin) on
// 127.0.0.30:443 through the rig's DNS; the admin API and Dovecot's token introspection on
// http://127.0.0.30:9000. Never logs tokens, codes, passwords or query strings.
//
// Environment: TAYORI_RIG_STATE (state dir: pki/, entra/ keys, run/entra-store.json and
// run/entra-state.json).
import https from 'node:https';
import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import querystring from 'node:querystring';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';
import FileAdapter, { openStore } from './file-adapter.mjs';
import {
  log, logRequest, escape, page, send, sendJson, redirect, readBody, readForm, passwordOk, guidOf, loadKeys,
  decodeJwt, signJwt, JsonState, adminServer, entraTimestamp,
} from './rig-common.mjs';
import {
  HOST, AUTHORITY, CONSUMERS_TID, TENANTS, TENANT_BY_TID, USERS, EXCHANGE_SCOPES, OIDC_SCOPES, APPS,
  initialState, resourceOf,
} from './entra-directory.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const STATE = process.env.TAYORI_RIG_STATE || path.resolve(here, '../../../target/rig');
const ADDR = '127.0.0.30';
const ADMIN_PORT = 9000;
const MFA_CODE = '123456'; // the one-time code every rig user's "authenticator" shows
const DEVICE_VERIFICATION_URI = 'https://microsoft.com/devicelogin';

const { jwks, cookieKeys, publicJwks } = loadKeys(path.join(STATE, 'entra'), 'entra-rig');
openStore(path.join(STATE, 'run', 'entra-store.json'));
const state = new JsonState(path.join(STATE, 'run', 'entra-state.json'), initialState);
const D = state.data;
{ // a state file from before a tenant was added to the directory gets the new tenant
  const fresh = initialState();
  for (const [key, value] of Object.entries(fresh)) D[key] ??= value;
  for (const [tid, t] of Object.entries(fresh.tenants)) D.tenants[tid] ??= t;
}

// Entra keeps an old refresh token valid after it issued a new one ("Refresh tokens replace
// themselves with a fresh token upon every use. The Microsoft identity platform doesn't revoke
// old refresh tokens"), so a rotated refresh token is never marked consumed here.
class EntraAdapter extends FileAdapter {
  async consume(id) {
    if (this.name === 'RefreshToken') return undefined;
    return super.consume(id);
  }
}

// ------------------------------------------------------------------------------------------------
// Directory lookups
// ------------------------------------------------------------------------------------------------
const ALIASES = new Set(['common', 'organizations', 'consumers']);

/** A path's tenant segment: an alias, a tenant id or a verified domain. */
function resolveSegment(seg) {
  const s = String(seg || '').toLowerCase();
  if (s === 'common' || s === 'organizations') return { seg: s, alias: s, tenant: null };
  if (s === 'consumers') return { seg: s, alias: s, tenant: { key: 'consumers', ...TENANTS.consumers } };
  if (TENANT_BY_TID[s]) return { seg: s, alias: null, tenant: TENANT_BY_TID[s] };
  for (const [key, t] of Object.entries(TENANTS)) {
    if (t.domains.includes(s)) return { seg: s, alias: null, tenant: { key, ...t } };
  }
  return undefined;
}

const userOf = (upn) => USERS[String(upn || '').toLowerCase()];
const tenantOfUser = (upn) => {
  const u = userOf(upn);
  return u ? { key: u.tenant, ...TENANTS[u.tenant] } : undefined;
};
const appOf = (clientId) => (APPS[clientId] ? { ...APPS[clientId], ...(D.apps[clientId] || {}) } : undefined);
const tenantState = (tid) => D.tenants[tid];
const isAdmin = (upn) => userOf(upn)?.role === 'global-admin';
const oidOf = (upn) => guidOf(`entra-oid:${upn}`);

function rulesFor({ kind, upn, tid, clientId }) {
  return D.rules.filter((r) => r.kind === kind
    && (!r.user || r.user.toLowerCase() === String(upn).toLowerCase())
    && (!r.tenant || r.tenant === tid || resolveSegment(r.tenant)?.tenant?.tid === tid)
    && (!r.client_id || r.client_id === clientId));
}

function ruleApplies(rule, at) {
  const ats = rule.at || ['authorize', 'token', 'device'];
  return ats.includes(at);
}

/** Scopes granted to (user, app): the tenant-wide admin grant plus the user's own consent. */
function grantedScopes(upn, clientId) {
  const tenant = tenantOfUser(upn);
  const admin = tenant && tenantState(tenant.tid)?.admin_grants[clientId]?.scopes || [];
  const own = D.user_grants[upn]?.[clientId]?.scopes || [];
  return new Set([...admin, ...own]);
}

/** Whether the person may consent to a scope for this app, by the tenant's consent settings. */
function userMayConsent(upn, app, scope) {
  const tenant = tenantOfUser(upn);
  if (!tenant || tenant.personal) return true; // personal accounts are not under tenant policy
  if (isAdmin(upn)) return true;
  const settings = tenantState(tenant.tid).settings;
  const sameTenantApp = app.home_tenant === tenant.key;
  if (settings.risk_based_step_up && !app.publisher_verified && !sameTenantApp
      && !OIDC_SCOPES.includes(scope)) {
    return false; // AADSTS90094: risky (unverified multi-tenant) app
  }
  switch (settings.user_consent) {
    case 'none': return false;
    case 'allow': return true;
    case 'microsoft-managed': default:
      return !EXCHANGE_SCOPES[scope]?.highRisk;
  }
}

// ------------------------------------------------------------------------------------------------
// Error answers in Entra's shapes
// ------------------------------------------------------------------------------------------------
const MESSAGES = {
  9002313: () => 'Invalid request. Request is malformed or invalid.',
  900144: (p) => `The request body must contain the following parameter: '${p}'.`,
  900971: () => 'No reply address provided.',
  50011: (uri, id) => `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
  50020: (upn, tenant) => `User account '${upn}' from identity provider 'https://sts.windows.net/${tenantOfUser(upn)?.tid}/' does not exist in tenant '${tenant}' and cannot access the application in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.`,
  50034: () => 'The user account does not exist in the directory. To sign into this application, the account must be added to the directory.',
  50057: () => 'The user account is disabled.',
  50076: () => `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000002-0000-0ff1-ce00-000000000000'.`,
  50126: () => 'Error validating credentials due to invalid username or password.',
  50173: (issued, valid) => `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${issued}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${valid}'.`,
  50194: (id, name) => `Application '${id}'(${name}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`,
  53003: () => 'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
  54005: () => 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
  65001: (id, name) => `The user or administrator has not consented to use the application with ID '${id}' named '${name}'. Send an interactive authorization request for this user and resource.`,
  65004: () => 'User declined to consent to access the app.',
  70008: () => 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
  70011: (scope) => `The provided value for the input parameter 'scope' is not valid. The scope '${scope}' is not valid.`,
  70016: () => 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
  70043: (issued, max) => `The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on ${issued} and the maximum allowed lifetime for this request is ${max}.`,
  90002: (t) => `Tenant '${t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  90094: (name) => `${name} needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.`,
  90095: (name) => `${name} needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it. An admin consent request has been sent.`,
  500200: (upn) => `User account '${upn}' is a personal Microsoft account. Personal Microsoft accounts are not supported for this application unless explicitly invited to an organization. Try signing out and signing back in with an organizational account.`,
  501481: () => 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
  700005: () => 'Provided Authorization Code is intended to use against other tenant, thus rejected.',
  700016: (id, dir) => `Application with identifier '${id}' was not found in the directory '${dir}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  700082: (issued) => `The refresh token has expired due to inactivity. The token was issued on ${issued} and was inactive for 90.00:00:00.`,
  7000218: () => "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
};

function trace() {
  const traceId = crypto.randomUUID();
  const correlationId = crypto.randomUUID();
  const timestamp = entraTimestamp();
  return { traceId, correlationId, timestamp };
}

function describe(code, message, t = trace()) {
  return `AADSTS${code}: ${message}\r\nTrace ID: ${t.traceId}\r\nCorrelation ID: ${t.correlationId}\r\nTimestamp: ${t.timestamp}`;
}

/** The JSON body of an error answer at /token or /devicecode. */
function errorBody(error, code, message, extra = {}) {
  const t = trace();
  return {
    error,
    error_description: describe(code, message, t),
    error_codes: [code],
    timestamp: t.timestamp,
    trace_id: t.traceId,
    correlation_id: t.correlationId,
    error_uri: `${AUTHORITY}/error?code=${code}`,
    ...extra,
  };
}

/** Entra's sign-in error page (no redirect: the app hears nothing). */
function errorPage(res, status, code, message) {
  const t = trace();
  log('page.error', `AADSTS${code}`);
  return send(res, status, page('Sign in to your account', `
<h1 id="error-title">Sorry, but we're having trouble signing you in.</h1>
<p id="error" data-code="AADSTS${code}">AADSTS${code}: ${escape(message)}</p>
<div id="details"><p>Request Id: ${t.traceId}</p><p>Correlation Id: ${t.correlationId}</p><p>Timestamp: ${t.timestamp}</p></div>`));
}

/** An error sent back to the app's redirect URI (the authorization response). */
function redirectError(res, redirectUri, state, error, code, message, extra = {}) {
  const url = new URL(redirectUri);
  url.searchParams.set('error', error);
  url.searchParams.set('error_description', describe(code, message));
  url.searchParams.set('error_uri', `${AUTHORITY}/error?code=${code}`);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  if (state !== undefined) url.searchParams.set('state', state);
  log('authorize.error', error, `AADSTS${code}`);
  return redirect(res, url.href);
}

// ------------------------------------------------------------------------------------------------
// Loopback redirect URIs, as Entra matches them ("Redirect URI (reply URL) restrictions")
// ------------------------------------------------------------------------------------------------
function normalizedRegistered(uri) {
  const u = new URL(uri);
  return { host: u.hostname, scheme: u.protocol, path: u.pathname, port: u.port, search: u.search };
}

/** Whether `requested` matches one of the app's registered redirect URIs. */
function redirectAllowed(app, requested) {
  let r;
  try { r = new URL(requested); } catch { return false; }
  if (r.hash) return false;
  for (const registered of app.redirects) {
    const g = normalizedRegistered(registered);
    if (g.scheme !== r.protocol || g.host !== r.hostname || g.search !== r.search) continue;
    // the path must match exactly, except that a URI registered without a path is the same as
    // one with "/" (it is returned with a trailing slash)
    if (g.path !== r.pathname) continue;
    // http://localhost (and the 127.0.0.1 literal) ignore the port at match time; [::1] is not
    // supported; any other host must match the port too
    const loopback = r.hostname === 'localhost' || r.hostname === '127.0.0.1';
    if (!loopback && g.port !== r.port) continue;
    return true;
  }
  return false;
}

// ------------------------------------------------------------------------------------------------
// oidc-provider
// ------------------------------------------------------------------------------------------------
const ACCESS_TOKEN_TTL = 3599;
const configuration = {
  clients: Object.keys(APPS).map((id) => ({
    client_id: id,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    // placeholder; Entra's own matching is installed below (redirectUriAllowed)
    redirect_uris: ['http://127.0.0.1/'],
  })),
  jwks,
  adapter: EntraAdapter,
  cookies: { keys: cookieKeys },
  scopes: [...OIDC_SCOPES, ...Object.keys(EXCHANGE_SCOPES)],
  claims: {
    openid: ['sub', 'oid', 'tid', 'ver'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
  },
  routes: {
    authorization: '/oauth2/v2.0/authorize',
    token: '/oauth2/v2.0/token',
    jwks: '/discovery/v2.0/keys',
    device_authorization: '/oauth2/v2.0/devicecode',
    code_verification: '/devicelogin',
    end_session: '/oauth2/v2.0/logout',
    userinfo: '/oidc/userinfo',
  },
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: false }, // Entra has no RFC 7662 endpoint
    revocation: { enabled: false }, // nor an RFC 7009 one
    registration: { enabled: false }, // nor dynamic client registration
    userinfo: { enabled: false },
    rpInitiatedLogout: { enabled: true },
    deviceFlow: {
      enabled: true,
      charset: 'base-20',
      mask: '*********',
      userCodeInputSource: async (ctx, form, out, err) => {
        ctx.body = page('Enter code', `
<h1>Enter code</h1>
<p>Enter the code displayed on your app or device.</p>
${err ? `<p id="error">${escape(err.userCode ? 'That code didn’t work. Check the code and try again.' : err.message)}</p>` : ''}
${form.replace('id="op.deviceInputForm"', 'id="usercode"')}
<button type="submit" form="usercode">Next</button>`);
      },
      userCodeConfirmSource: async (ctx, form, client, deviceInfo, userCode) => {
        ctx.body = page('Are you trying to sign in?', `
<h1>Are you trying to sign in to ${escape(appOf(client.clientId)?.name || client.clientId)}?</h1>
<p>Only continue if you downloaded the app from a store or website that you trust.</p>
<p>code: <code>${escape(userCode)}</code></p>
${form.replace('id="op.deviceConfirmForm"', 'id="device-confirm"')}
<button type="submit" form="device-confirm">Continue</button>
${form.replace('id="op.deviceConfirmForm"', 'id="device-abort"').replace('name="confirm" value="yes"', 'name="abort" value="yes"')}
<button type="submit" form="device-abort">Cancel</button>`);
      },
      successSource: async (ctx) => {
        ctx.body = page('You have signed in', `<h1 id="device-success">You have signed in to the application on your device. You may now close this window.</h1>`);
      },
    },
  },
  responseTypes: ['code'],
  pkce: { required: () => false }, // Entra recommends PKCE for desktop apps but does not require it
  rotateRefreshToken: true,
  expiresWithSession: () => false,
  ttl: {
    AccessToken: (ctx, token) => D.users[token.accountId]?.access_token_ttl || ACCESS_TOKEN_TTL,
    AuthorizationCode: 600, // "they expire after about 10 minutes"
    DeviceCode: 900, // "the user has 15 minutes to sign in"
    Grant: 90 * 24 * 3600,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: 90 * 24 * 3600, // 90 days
    Session: 14 * 24 * 3600,
  },
  async findAccount(ctx, id) {
    const user = userOf(id);
    if (!user) return undefined;
    const tenant = tenantOfUser(id);
    return {
      accountId: id,
      async claims(use, scope, claims, rejected) {
        return {
          sub: guidOf(`entra-sub:${id}:${ctx?.oidc?.client?.clientId}`),
          oid: oidOf(id),
          tid: tenant.tid,
          ver: '2.0',
          name: user.name,
          preferred_username: id,
          email: id,
        };
      },
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out, error) => {
    ctx.type = 'html';
    const t = trace();
    ctx.body = page('Sign in to your account', `
<h1 id="error-title">Sorry, but we're having trouble signing you in.</h1>
<p id="error">${escape(out.error)}: ${escape(out.error_description)}</p>
<div id="details"><p>Request Id: ${t.traceId}</p><p>Timestamp: ${t.timestamp}</p></div>`);
  },
};

const provider = new Provider(`${AUTHORITY}/common/v2.0`, configuration);
provider.Client.prototype.redirectUriAllowed = function entraRedirectAllowed(value) {
  const app = appOf(this.clientId);
  return Boolean(app) && redirectAllowed(app, value);
};

// per-interaction facts oidc-provider does not keep (the request's own scope before its
// offline_access filter, the tenant path), and per-code facts for the token endpoint
const authMeta = new Map(); // interaction uid -> { seg, scope }
const codeMeta = new Map(); // authorization code -> { seg }
const deviceMeta = new Map(); // device code -> { seg, scope, blocked }
function remember(map, key, value, ttlMs = 3600_000) {
  map.set(key, value);
  setTimeout(() => map.delete(key), ttlMs).unref();
}

// the last oidc-provider error of a request (mapped to an AADSTS answer below)
provider.on('grant.error', (ctx, err) => { ctx.state.grantError = err; log('grant.error', err?.message || ''); });
provider.on('authorization.error', (ctx, err) => log('authorization.error', err?.error || '', err?.message || ''));
provider.on('server_error', (ctx, err) => log('server_error', err?.message || ''));
provider.on('grant.success', (ctx) => log('grant.success', ctx.oidc.params.grant_type, ctx.oidc.client?.clientId));

// The resources Tayori's registrations hold permissions of, and their "/.default" scopes.
const DEFAULT_SCOPES = ['https://outlook.office.com/.default', 'https://graph.microsoft.com/.default'];

/** The distinct resources (audiences) among a scope list, in the order they first appear. */
const resourcesIn = (scopes) => [...new Set(scopes.map(resourceOf).filter(Boolean))];

/**
 * "The scopes must all be from a single resource, along with OIDC scopes" (authorization code
 * flow, /token): a token request naming two resources is refused with AADSTS28000.
 */
function multipleResources(body) {
  const scopes = String(body.scope || '').split(' ').filter(Boolean);
  if (resourcesIn(scopes).length <= 1) return null;
  return [400, errorBody('invalid_request', 28000, `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${body.scope} is not valid.`)];
}

/**
 * A refresh token is bound to the person and the app, not to a resource ("Refresh tokens"): it
 * redeems for any scope the person or an admin has consented to for this app. oidc-provider
 * limits a refresh to the token's own scopes, so the grant and the refresh token are widened to
 * the consented scopes asked for; a scope nobody consented to is AADSTS65001.
 */
async function widenToConsent(body) {
  if (body.grant_type !== 'refresh_token' || !body.scope) return null;
  const rt = await provider.RefreshToken.find(String(body.refresh_token || ''), { ignoreExpiration: true });
  if (!rt || rt.clientId !== body.client_id) return null;
  const asked = String(body.scope).split(' ').filter((s) => EXCHANGE_SCOPES[s]);
  const granted = grantedScopes(rt.accountId, rt.clientId);
  const app = appOf(rt.clientId);
  if (asked.some((s) => !granted.has(s))) {
    return [400, errorBody('invalid_grant', 65001, MESSAGES[65001](rt.clientId, app.name), { suberror: 'consent_required' })];
  }
  const have = new Set(String(rt.scope || '').split(' ').filter(Boolean));
  const add = asked.filter((s) => !have.has(s));
  if (add.length) {
    const adapter = new EntraAdapter('RefreshToken');
    const stored = await adapter.find(String(body.refresh_token));
    if (stored) await adapter.upsert(String(body.refresh_token), { ...stored, scope: [...have, ...add].join(' ') }, Math.max(1, stored.exp - now()));
    const grant = rt.grantId && await provider.Grant.find(rt.grantId);
    if (grant) { grant.addOIDCScope(add.join(' ')); await grant.save(); }
  }
  return null;
}

/**
 * "An access token is for one resource": when a code is redeemed for a consent that named several
 * resources (and no scope parameter chose one), the token is for the first resource requested.
 */
async function narrowToOneResource(out) {
  const scopes = String(out.scope || '').split(' ').filter(Boolean);
  const resources = resourcesIn(scopes);
  if (resources.length <= 1) return;
  const keep = scopes.filter((s) => !resourceOf(s) || resourceOf(s) === resources[0]);
  // the stored token itself is narrowed (its payload, through the adapter: oidc-provider keeps
  // no API to change an issued token)
  const adapter = new EntraAdapter('AccessToken');
  const stored = await adapter.find(String(out.access_token || ''));
  if (stored) await adapter.upsert(String(out.access_token), { ...stored, scope: keep.join(' ') }, Math.max(1, stored.exp - now()));
  out.scope = keep.join(' ');
}

const now = () => Math.floor(Date.now() / 1000);
const when = (epoch) => new Date(epoch * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/** Entra's refusal of a token request, if a directory rule or state refuses it. */
async function tokenRefusal(ctx, body, segInfo) {
  const grantType = body.grant_type;
  const clientId = body.client_id;
  const app = appOf(clientId);
  if (!app) return [400, errorBody('unauthorized_client', 700016, MESSAGES[700016](clientId, segInfo.tenant?.name || 'Microsoft'))];
  if (body.client_secret || body.client_assertion) {
    return [401, errorBody('invalid_client', 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")];
  }
  if (grantType === 'authorization_code') {
    const code = await provider.AuthorizationCode.find(String(body.code || ''), { ignoreExpiration: true });
    if (code?.consumed) return [400, errorBody('invalid_grant', 54005, MESSAGES[54005]())];
    const meta = codeMeta.get(String(body.code || ''));
    if (code && meta && meta.seg !== segInfo.seg) return [400, errorBody('invalid_grant', 700005, MESSAGES[700005]())];
    return null;
  }
  if (grantType === 'urn:ietf:params:oauth:grant-type:device_code') {
    if (!app.public_client_flows) return [401, errorBody('invalid_client', 7000218, MESSAGES[7000218]())];
    const meta = deviceMeta.get(String(body.device_code || ''));
    if (meta?.blocked) {
      return [400, errorBody('invalid_grant', 53003, MESSAGES[53003](), { suberror: 'message_only' })];
    }
    return null;
  }
  if (grantType !== 'refresh_token') return null;
  const rt = await provider.RefreshToken.find(String(body.refresh_token || ''), { ignoreExpiration: true });
  if (!rt || rt.clientId !== clientId) return null; // oidc-provider answers (mapped below)
  const upn = rt.accountId;
  const home = tenantOfUser(upn);
  // a refresh token works at any tenant path the person belongs to (not at a foreign tenant)
  if (segInfo.tenant && home && segInfo.tenant.tid !== home.tid) {
    return [400, errorBody('invalid_grant', 50020, MESSAGES[50020](upn, segInfo.tenant.name))];
  }
  const revokedAt = D.users[upn]?.revoked_at;
  if (revokedAt && (rt.iiat || rt.iat) < revokedAt) {
    return [400, errorBody('invalid_grant', 50173, MESSAGES[50173](when(rt.iiat || rt.iat), when(revokedAt)), { suberror: 'bad_token' })];
  }
  const tid = home?.tid;
  for (const rule of rulesFor({ kind: 'ca_block', upn, tid, clientId })) {
    if (ruleApplies(rule, 'token')) {
      return [400, errorBody(rule.error || 'interaction_required', 53003, MESSAGES[53003](), { suberror: 'message_only' })];
    }
  }
  for (const rule of rulesFor({ kind: 'mfa', upn, tid, clientId })) {
    if (!(rt.amr || []).includes('mfa')) {
      return [400, errorBody(rule.refresh_error || 'interaction_required', 50076, MESSAGES[50076](), { suberror: 'basic_action' })];
    }
  }
  for (const rule of rulesFor({ kind: 'sign_in_frequency', upn, tid, clientId })) {
    if (now() - (rt.authTime || rt.iat) > Number(rule.seconds || 0)) {
      return [400, errorBody(rule.error || 'invalid_grant', 70043, MESSAGES[70043](when(rt.authTime || rt.iat), `${rule.seconds} seconds`), { suberror: 'bad_token' })];
    }
  }
  for (const rule of rulesFor({ kind: 'token_error', upn, tid, clientId })) {
    if (rule.grant && rule.grant !== 'refresh_token') continue;
    if (rule.times !== undefined) {
      if (rule.times <= 0) continue;
      rule.times -= 1;
      state.save();
    }
    const code = Number(rule.code);
    const message = rule.message || (MESSAGES[code] ? MESSAGES[code](when(rt.iat), '') : 'Rule set by a test.');
    return [400, errorBody(rule.error || 'invalid_grant', code, message, rule.suberror ? { suberror: rule.suberror } : {})];
  }
  // consent withdrawn since (an admin removed the tenant-wide grant, or the user's own)
  const granted = grantedScopes(upn, clientId);
  const needed = String(rt.scope || '').split(' ').filter((s) => EXCHANGE_SCOPES[s]);
  if (needed.some((s) => !granted.has(s))) {
    return [400, errorBody('invalid_grant', 65001, MESSAGES[65001](clientId, app.name), { suberror: 'consent_required' })];
  }
  return null;
}

/** oidc-provider's token endpoint errors, in Entra's words. */
function mapTokenError(ctx, request) {
  const err = ctx.state.grantError;
  const body = ctx.body || {};
  const message = String(err?.message || body.error_description || '');
  let mapped;
  if (body.error === 'invalid_grant' && request.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
    mapped = errorBody('bad_verification_code', 70000, 'The device code was not recognized.');
  } else if (body.error === 'invalid_grant') {
    if (/code_verifier|PKCE/i.test(message)) mapped = errorBody('invalid_grant', 501481, MESSAGES[501481]());
    else if (/expired/i.test(message)) mapped = errorBody('invalid_grant', 70008, MESSAGES[70008]());
    else mapped = errorBody('invalid_grant', 9002313, MESSAGES[9002313]());
  } else if (body.error === 'authorization_pending') {
    mapped = errorBody('authorization_pending', 70016, MESSAGES[70016]());
  } else if (body.error === 'expired_token') {
    mapped = errorBody('expired_token', 70019, 'Verification code expired.');
  } else if (body.error === 'access_denied') {
    mapped = errorBody('authorization_declined', 70000, 'The end user denied the authorization request.');
  } else if (body.error === 'invalid_request' && /device_code/.test(message)) {
    mapped = errorBody('bad_verification_code', 70000, 'The device code was not recognized.');
  } else if (body.error === 'invalid_request') {
    mapped = errorBody('invalid_request', 900144, MESSAGES[900144](message.match(/'?([a-z_]+)'? missing/)?.[1] || 'grant_type'));
  } else if (body.error) {
    mapped = errorBody(body.error, 9002313, MESSAGES[9002313]());
  }
  if (mapped) ctx.body = mapped;
}

/** Re-issues an ID token under the tenant's own issuer, as Entra does behind /common. */
function tenantIdToken(idToken) {
  const { payload } = decodeJwt(idToken);
  const tenant = tenantOfUser(payload.preferred_username || payload.email);
  if (!tenant) return idToken;
  return signJwt(jwks, { typ: 'JWT' }, {
    ...payload,
    iss: `${AUTHORITY}/${tenant.tid}/v2.0`,
    tid: tenant.tid,
    ver: '2.0',
  });
}

provider.use(async (ctx, next) => {
  const entra = ctx.req.entra || {};
  const route = ctx.path;
  // ---- token endpoint: directory rules first, then oidc-provider, then Entra's answer shape
  if (route === '/oauth2/v2.0/token' && ctx.method === 'POST') {
    const body = querystring.parse(Buffer.isBuffer(ctx.req.body) ? ctx.req.body.toString() : '');
    const refusal = multipleResources(body) || await tokenRefusal(ctx, body, entra) || await widenToConsent(body);
    if (refusal) {
      [ctx.status, ctx.body] = refusal;
      ctx.set('cache-control', 'no-store');
      log('token.refused', body.grant_type, refusal[1].error, refusal[1].error_codes?.[0]);
      return;
    }
    await next();
    if (ctx.status >= 400) {
      mapTokenError(ctx, body);
      log('token.error', body.grant_type, ctx.body?.error, ctx.body?.error_codes?.[0] || '');
      return;
    }
    if (ctx.body && typeof ctx.body === 'object') {
      const out = { ...ctx.body };
      // the scope lists what the token is for; offline_access is not repeated there
      if (out.scope) out.scope = out.scope.split(' ').filter((s) => s !== 'offline_access').join(' ');
      if (out.id_token) out.id_token = tenantIdToken(out.id_token);
      if (out.access_token) await narrowToOneResource(out);
      out.ext_expires_in = out.expires_in;
      ctx.body = out;
    }
    return;
  }
  // ---- device authorization: Entra's verification address and message
  if (route === '/oauth2/v2.0/devicecode' && ctx.method === 'POST') {
    const body = querystring.parse(Buffer.isBuffer(ctx.req.body) ? ctx.req.body.toString() : '');
    await next();
    if (ctx.status === 200 && ctx.body?.device_code) {
      remember(deviceMeta, ctx.body.device_code, { seg: entra.seg, scope: body.scope, userCode: ctx.body.user_code }, 900_000);
      const { device_code: deviceCode, user_code: userCode, expires_in: expiresIn, interval } = ctx.body;
      ctx.body = {
        user_code: userCode,
        device_code: deviceCode,
        verification_uri: DEVICE_VERIFICATION_URI,
        expires_in: expiresIn,
        interval: interval || 5,
        message: `To sign in, use a web browser to open the page ${DEVICE_VERIFICATION_URI} and enter the code ${userCode} to authenticate.`,
      };
    } else if (ctx.status >= 400) {
      ctx.body = errorBody(ctx.body?.error || 'invalid_request', 9002313, MESSAGES[9002313]());
    }
    return;
  }
  await next();
  // ---- authorization: remember the request's own scope; no `iss` in Entra's responses
  if (route.startsWith('/oauth2/v2.0/authorize') && ctx.status === 303) {
    const location = ctx.response.get('location') || '';
    const m = /\/interaction\/([^/?#]+)$/.exec(location);
    const resumed = /^\/oauth2\/v2\.0\/authorize\/([^/]+)$/.exec(route);
    if (m && resumed && authMeta.has(resumed[1])) {
      // a further prompt (consent after login) is a new interaction with a new uid
      remember(authMeta, m[1], authMeta.get(resumed[1]));
    }
    if (m && route === '/oauth2/v2.0/authorize') {
      const requested = String((ctx.method === 'POST' ? ctx.oidc?.body?.scope : ctx.query.scope) || '');
      remember(authMeta, m[1], { seg: entra.seg, scope: requested });
      // oidc-provider drops offline_access without prompt=consent; Entra issues a refresh token
      // for offline_access alone: put it back into the pending interaction (see README pitfall 2)
      const interaction = await provider.Interaction.find(m[1]);
      if (interaction && requested.split(' ').includes('offline_access')) {
        const scopes = String(interaction.params.scope || '').split(' ').filter(Boolean);
        if (!scopes.includes('offline_access')) {
          interaction.params.scope = [...scopes, 'offline_access'].join(' ');
          await interaction.save(interaction.exp - now());
        }
      }
    } else if (!m) {
      const url = new URL(location, `${AUTHORITY}/`);
      if (url.protocol === 'http:' || url.protocol === 'https:') {
        url.searchParams.delete('iss');
        if (url.searchParams.get('code')) {
          url.searchParams.set('session_state', guidOf(`session:${ctx.oidc?.session?.uid || ''}`));
          remember(codeMeta, url.searchParams.get('code'), { seg: entra.seg }, 700_000);
        }
        ctx.response.set('location', url.href);
      }
    }
  }
});

// ------------------------------------------------------------------------------------------------
// Metadata
// ------------------------------------------------------------------------------------------------
function metadata(segInfo) {
  const { tenant, alias } = segInfo;
  // a tenant named by domain answers with its id in every address, as Entra does
  const seg = alias || tenant.tid;
  const base = `${AUTHORITY}/${seg}`;
  const issuer = alias === 'common' || alias === 'organizations'
    ? `${AUTHORITY}/{tenantid}/v2.0` : `${AUTHORITY}/${tenant.tid}/v2.0`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name',
      'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver',
      'at_hash', 'c_hash', 'email'],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: tenant && !tenant.personal ? 'AS' : null,
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

// ------------------------------------------------------------------------------------------------
// /authorize checks Entra makes before anyone signs in
// ------------------------------------------------------------------------------------------------
function authorizeChecks(res, segInfo, q) {
  const dir = segInfo.tenant?.name || 'Microsoft';
  if (!q.client_id) return errorPage(res, 400, 900144, MESSAGES[900144]('client_id'));
  const app = appOf(q.client_id);
  if (!app) return errorPage(res, 400, 700016, MESSAGES[700016](q.client_id, dir));
  if (app.audience === 'AzureADMyOrg') {
    if (segInfo.alias) return errorPage(res, 400, 50194, MESSAGES[50194](q.client_id, app.name));
    if (segInfo.tenant.key !== app.home_tenant) return errorPage(res, 400, 700016, MESSAGES[700016](q.client_id, dir));
  }
  if (!q.redirect_uri) return errorPage(res, 400, 900971, MESSAGES[900971]());
  if (!redirectAllowed(app, q.redirect_uri)) return errorPage(res, 400, 50011, MESSAGES[50011](q.redirect_uri, q.client_id));
  if (segInfo.alias === 'consumers' && app.audience !== 'AzureADandPersonalMicrosoftAccount') {
    return redirectError(res, q.redirect_uri, q.state, 'unauthorized_client', 9002332,
      `Application '${q.client_id}'(${app.name}) is configured for use by Azure Active Directory users only. Please do not use the /consumers endpoint to serve this request.`);
  }
  if (!q.response_type) return redirectError(res, q.redirect_uri, q.state, 'invalid_request', 900144, MESSAGES[900144]('response_type'));
  if (q.response_type !== 'code') {
    return redirectError(res, q.redirect_uri, q.state, 'unsupported_response_type', 70005,
      "The provided value for the input parameter 'response_type' is not allowed for this request. Expected value: 'code'.");
  }
  const scopes = String(q.scope || '').split(' ').filter(Boolean);
  if (!scopes.length) return redirectError(res, q.redirect_uri, q.state, 'invalid_request', 900144, MESSAGES[900144]('scope'));
  const dotDefault = scopes.filter((s) => s.endsWith('/.default'));
  const resourceScopes = scopes.filter((s) => !OIDC_SCOPES.includes(s));
  if (dotDefault.length && resourceScopes.length > dotDefault.length) {
    return redirectError(res, q.redirect_uri, q.state, 'invalid_scope', 70011,
      `${MESSAGES[70011](q.scope)} The '.default' scope can't be combined with resource-specific scopes.`);
  }
  for (const s of resourceScopes) {
    if (!EXCHANGE_SCOPES[s] && !DEFAULT_SCOPES.includes(s)) {
      return redirectError(res, q.redirect_uri, q.state, 'invalid_scope', 70011, MESSAGES[70011](s));
    }
  }
  if (q.code_challenge_method && !['S256', 'plain'].includes(q.code_challenge_method)) {
    return redirectError(res, q.redirect_uri, q.state, 'invalid_request', 501491, 'Invalid size of Code_Challenge parameter.');
  }
  return null;
}

// ------------------------------------------------------------------------------------------------
// Sign-in pages (interactions): login, MFA, conditional access, consent
// ------------------------------------------------------------------------------------------------
const pending = new Map(); // uid -> { upn, amr } between the password and the MFA step

function loginPage(uid, params, error) {
  return page('Sign in to your account', `
<h1>Sign in</h1>
${error ? `<p id="error">${escape(error)}</p>` : ''}
<form id="login" method="post" action="/interaction/${uid}/login" autocomplete="off">
  <input type="hidden" name="uid" value="${uid}">
  <label>Email, phone, or Skype <input name="username" type="email" value="${escape(params.login_hint || '')}" required></label>
  <label>Password <input name="password" type="password" required></label>
  <button type="submit">Sign in</button>
</form>`);
}

function mfaPage(uid, error) {
  return page('Enter code', `
<h1>Enter code</h1>
<p>Your organization requires additional security information. Enter the code displayed in the authenticator app on your mobile device.</p>
${error ? `<p id="error">${escape(error)}</p>` : ''}
<form id="mfa" method="post" action="/interaction/${uid}/mfa" autocomplete="off">
  <input type="hidden" name="uid" value="${uid}">
  <label>Code <input name="otc" inputmode="numeric" required></label>
  <button type="submit">Verify</button>
</form>`);
}

function caBlockPage(res) {
  const t = trace();
  log('page.ca_block', 'AADSTS53003');
  return send(res, 200, page('You cannot access this right now', `
<h1 id="ca-block">You cannot access this right now</h1>
<p>Your sign-in was successful but does not meet the criteria to access this resource. For example, you might be signing in from a browser, app, or location that is restricted by your admin.</p>
<p id="error" data-code="AADSTS53003">Error Code: 53003</p>
<div id="details"><p>Request Id: ${t.traceId}</p><p>Correlation Id: ${t.correlationId}</p><p>Timestamp: ${t.timestamp}</p></div>`));
}

function consentPage(uid, app, upn, scopes, { admin }) {
  const items = scopes.filter((s) => s !== 'openid').map((s) => `<li>${escape(s)}</li>`).join('');
  return page('Permissions requested', `
<h1 id="permissions-requested">Permissions requested</h1>
<p>${escape(app.name)}${app.publisher_verified ? '' : ' <span id="unverified">unverified</span>'} wants access for ${escape(upn)}:</p>
<ul>${items}</ul>
<form id="consent" method="post" action="/interaction/${uid}/consent">
  <input type="hidden" name="uid" value="${uid}">
  ${admin ? '<label><input type="checkbox" name="on_behalf" value="1"> Consent on behalf of your organization</label>' : ''}
  <button type="submit">Accept</button>
</form>
<form id="abort" method="post" action="/interaction/${uid}/abort"><button>Cancel</button></form>`);
}

function needAdminApprovalPage(uid, app, code) {
  return page('Need admin approval', `
<h1 id="need-admin-approval">Need admin approval</h1>
<p id="error" data-code="AADSTS${code}">${escape(MESSAGES[90094](app.name))}</p>
<form id="return-without-consent" method="post" action="/interaction/${uid}/return">
  <input type="hidden" name="uid" value="${uid}">
  <button type="submit">Return to the application without granting consent</button>
</form>`);
}

function approvalRequiredPage(uid, app) {
  return page('Approval required', `
<h1 id="approval-required">Approval required</h1>
<p>${escape(app.name)} needs permission to access resources in your organization that only an admin can grant. Request approval from an admin to use this app.</p>
<form id="request-approval" method="post" action="/interaction/${uid}/request">
  <input type="hidden" name="uid" value="${uid}">
  <label>Enter justification for requesting this app <textarea name="justification"></textarea></label>
  <button type="submit">Request approval</button>
</form>
<form id="return-without-consent" method="post" action="/interaction/${uid}/return">
  <input type="hidden" name="uid" value="${uid}">
  <button type="submit">Return to the application without granting consent</button>
</form>`);
}

/** Where the sign-in stands after the password (and MFA): conditional access, then login done. */
async function afterAuthentication(req, res, details, upn, amr) {
  const { params } = details;
  const tid = tenantOfUser(upn).tid;
  const at = details.deviceCode ? 'device' : 'authorize';
  for (const rule of rulesFor({ kind: 'ca_block', upn, tid, clientId: params.client_id })) {
    if (!ruleApplies(rule, at)) continue;
    if (at === 'device') {
      // the device keeps polling; its next poll hears the refusal (see README)
      const dm = deviceMeta.get(details.deviceCode);
      if (dm) dm.blocked = true;
    }
    if (rule.authorize_mode === 'redirect' && at === 'authorize') {
      return provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: describe(53003, MESSAGES[53003]()),
      }, { mergeWithLastSubmission: false });
    }
    return caBlockPage(res);
  }
  pending.delete(details.uid);
  log('login.success', 'client', params.client_id, amr.join('+'));
  return provider.interactionFinished(req, res, {
    login: { accountId: upn, amr, acr: amr.includes('mfa') ? 'possessionorinherence' : '1' },
  }, { mergeWithLastSubmission: false });
}

/** Finishes the consent prompt with an oidc-provider grant for the requested scopes. */
async function finishConsent(req, res, details, scopes) {
  const { prompt, params, session } = details;
  const grant = details.grantId ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  grant.addOIDCScope(scopes.join(' '));
  const pd = prompt.details || {};
  if (pd.missingOIDCScope) grant.addOIDCScope(pd.missingOIDCScope.join(' '));
  if (pd.missingOIDCClaims) grant.addOIDCClaims(pd.missingOIDCClaims);
  const grantId = await grant.save();
  const consent = {};
  if (!details.grantId) consent.grantId = grantId;
  return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
}

function expandScopes(requested, app) {
  const out = [];
  for (const s of requested) {
    // "/.default": the app's registered permissions of that one resource
    if (DEFAULT_SCOPES.includes(s)) out.push(...app.permissions.filter((p) => EXCHANGE_SCOPES[p] && resourceOf(p) === resourceOf(s)));
    else out.push(s);
  }
  return [...new Set(out)];
}

/** What the consent step must ask for: nothing when consent exists (unless prompt=consent). */
function consentNeeds(details) {
  const { uid, params, session } = details;
  const upn = session.accountId;
  const app = appOf(params.client_id);
  const meta = authMeta.get(uid) || deviceMeta.get(details.deviceCode) || {};
  const requested = expandScopes(String(meta.scope || params.scope || '').split(' ').filter(Boolean), app);
  const forced = String(params.prompt || '').split(' ').includes('consent');
  const granted = grantedScopes(upn, params.client_id);
  const resources = requested.filter((s) => EXCHANGE_SCOPES[s]);
  const missing = resources.filter((s) => !granted.has(s));
  const silent = !forced && missing.length === 0 && (resources.length > 0 || granted.size > 0);
  // prompt=consent asks the person for everything again, whatever an admin granted
  const toConsent = forced ? requested : [...missing, ...requested.filter((s) => !EXCHANGE_SCOPES[s])];
  return { upn, app, requested, toConsent, silent };
}

/** The consent step: silent when consent exists, else the page the person is allowed to see. */
async function consentStep(req, res, details) {
  const { uid, params } = details;
  const { upn, app, requested, toConsent, silent } = consentNeeds(details);
  if (silent) {
    log('consent.silent', params.client_id);
    return finishConsent(req, res, details, requested);
  }
  if (toConsent.every((s) => userMayConsent(upn, app, s))) {
    return send(res, 200, consentPage(uid, app, upn, toConsent, { admin: isAdmin(upn) }));
  }
  const tenant = tenantOfUser(upn);
  const settings = tenantState(tenant.tid).settings;
  const stepUp = settings.risk_based_step_up && !app.publisher_verified
    && toConsent.every((s) => OIDC_SCOPES.includes(s) || !EXCHANGE_SCOPES[s]?.highRisk || settings.user_consent === 'allow');
  log('consent.admin_required', params.client_id, stepUp ? 'AADSTS90094(step-up)' : 'AADSTS90094');
  if (settings.admin_consent_workflow) return send(res, 200, approvalRequiredPage(uid, app));
  return send(res, 200, needAdminApprovalPage(uid, app, 90094));
}

async function interaction(req, res, url) {
  const m = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login|mfa|consent|abort|return|request))?$/);
  if (!m) return send(res, 404, page('not found', 'not found'));
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  const app = appOf(params.client_id);
  const step = m[2];
  if (req.method === 'GET') {
    if (prompt.name === 'login') {
      if (pending.has(uid)) return send(res, 200, mfaPage(uid));
      return send(res, 200, loginPage(uid, params));
    }
    if (prompt.name === 'consent') return consentStep(req, res, details);
    return send(res, 400, page('unknown prompt', escape(prompt.name)));
  }
  if (req.method !== 'POST') return send(res, 405, page('method', 'method not allowed'));
  const form = await readForm(req);
  if (step === 'login' && prompt.name === 'login') {
    const upn = String(form.username || '').trim().toLowerCase();
    const user = userOf(upn);
    if (!user) return send(res, 200, loginPage(uid, params, `AADSTS50034: This username may be incorrect. ${MESSAGES[50034]()}`));
    if (user.disabled) return errorPage(res, 400, 50057, MESSAGES[50057]());
    if (!passwordOk(USERS, upn, form.password)) {
      log('login.failed', 'client', params.client_id);
      return send(res, 200, loginPage(uid, params, 'AADSTS50126: Your account or password is incorrect. If you don\'t remember your password, reset it now.'));
    }
    const seg = resolveSegment(new URL(details.returnTo, `${AUTHORITY}/`).pathname.split('/')[1]) || { alias: 'common' };
    const home = tenantOfUser(upn);
    if (seg.tenant && seg.tenant.tid !== home.tid) return errorPage(res, 400, 50020, MESSAGES[50020](upn, seg.tenant.name));
    if (seg.alias === 'organizations' && home.personal) return errorPage(res, 400, 500200, MESSAGES[500200](upn));
    if (home.personal && app.audience !== 'AzureADandPersonalMicrosoftAccount') {
      return provider.interactionFinished(req, res, {
        error: 'unauthorized_client',
        error_description: 'The client does not exist or is not enabled for consumers. If you are the application developer, configure a new application through the App Registrations in the Azure portal at https://go.microsoft.com/fwlink/?linkid=2083908.',
      }, { mergeWithLastSubmission: false });
    }
    if (app.audience === 'AzureADMyOrg' && home.key !== app.home_tenant) {
      return errorPage(res, 400, 700016, MESSAGES[700016](params.client_id, home.name));
    }
    if (rulesFor({ kind: 'mfa', upn, tid: home.tid, clientId: params.client_id }).length) {
      pending.set(uid, { upn });
      return send(res, 200, mfaPage(uid));
    }
    return afterAuthentication(req, res, details, upn, ['pwd']);
  }
  if (step === 'mfa' && prompt.name === 'login' && pending.has(uid)) {
    const { upn } = pending.get(uid);
    const rule = rulesFor({ kind: 'mfa', upn, tid: tenantOfUser(upn).tid, clientId: params.client_id })[0];
    if (String(form.otc || '').trim() !== String(rule?.code || MFA_CODE)) {
      return send(res, 200, mfaPage(uid, 'That code didn\'t work. Check the code and try again.'));
    }
    return afterAuthentication(req, res, details, upn, ['pwd', 'mfa']);
  }
  if (step === 'consent' && prompt.name === 'consent') {
    const { upn, requested, toConsent } = consentNeeds(details);
    if (!toConsent.every((s) => userMayConsent(upn, app, s))) return send(res, 403, needAdminApprovalPage(uid, app, 90094));
    if (form.on_behalf && isAdmin(upn)) {
      const tid = tenantOfUser(upn).tid;
      const prev = tenantState(tid).admin_grants[params.client_id]?.scopes || [];
      tenantState(tid).admin_grants[params.client_id] = { scopes: [...new Set([...prev, ...requested])], by: upn, at: now() };
    } else {
      D.user_grants[upn] ||= {};
      const prev = D.user_grants[upn][params.client_id]?.scopes || [];
      D.user_grants[upn][params.client_id] = { scopes: [...new Set([...prev, ...requested])], at: now() };
    }
    state.save();
    log('consent.granted', params.client_id, form.on_behalf ? 'tenant-wide' : 'user');
    return finishConsent(req, res, details, requested);
  }
  if (step === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'consent_required', error_description: describe(65004, MESSAGES[65004]()),
    }, { mergeWithLastSubmission: false });
  }
  if (step === 'request' && prompt.name === 'consent') {
    const upn = details.session.accountId;
    const tid = tenantOfUser(upn).tid;
    tenantState(tid).consent_requests.push({
      client_id: params.client_id, by: upn, at: now(), justification: String(form.justification || '').slice(0, 500),
    });
    state.save();
    log('consent.requested', params.client_id);
    return provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: describe(90095, MESSAGES[90095](app.name)),
    }, { mergeWithLastSubmission: false });
  }
  if (step === 'return') {
    const upn = details.session?.accountId;
    const settings = upn ? tenantState(tenantOfUser(upn).tid).settings : {};
    const declined = settings.consent_return_error === '65004';
    return provider.interactionFinished(req, res, declined
      ? { error: 'access_denied', error_description: describe(65004, MESSAGES[65004]()) }
      : { error: 'consent_required', error_description: describe(65001, MESSAGES[65001](params.client_id, app.name)) },
    { mergeWithLastSubmission: false });
  }
  return send(res, 400, page('bad request', 'this form does not match the pending step'));
}

// ------------------------------------------------------------------------------------------------
// Admin consent endpoints: /{tenant}/v2.0/adminconsent and the older /{tenant}/adminconsent
// ------------------------------------------------------------------------------------------------
const adminConsentRequests = new Map(); // ctx id -> { segInfo, q, v2, upn? }

function adminConsentLogin(res, id, error) {
  return send(res, 200, page('Sign in to your account', `
<h1>Sign in</h1>
<p>An administrator must sign in to grant permissions for the organization.</p>
${error ? `<p id="error">${escape(error)}</p>` : ''}
<form id="login" method="post" action="/adminconsent/${id}/login" autocomplete="off">
  <label>Email <input name="username" type="email" required></label>
  <label>Password <input name="password" type="password" required></label>
  <button type="submit">Sign in</button>
</form>`));
}

function adminConsentScopes(entry) {
  const app = appOf(entry.q.client_id);
  if (!entry.v2) return app.permissions; // the v1 endpoint grants the app's registered permissions
  return expandScopes(String(entry.q.scope || '').split(' ').filter(Boolean), app);
}

function adminConsentRedirect(res, entry, params) {
  const app = appOf(entry.q.client_id);
  const target = entry.q.redirect_uri || app.redirects[0];
  const url = new URL(target);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  if (entry.q.state !== undefined) url.searchParams.set('state', entry.q.state);
  return redirect(res, url.href);
}

async function adminConsentStart(res, segInfo, q, v2) {
  if (segInfo.alias === 'consumers') return errorPage(res, 400, 90002, MESSAGES[90002]('consumers'));
  if (!q.client_id) return errorPage(res, 400, 900144, MESSAGES[900144]('client_id'));
  const app = appOf(q.client_id);
  if (!app) return errorPage(res, 400, 700016, MESSAGES[700016](q.client_id, segInfo.tenant?.name || 'Microsoft'));
  if (v2 && !q.redirect_uri) return errorPage(res, 400, 900971, MESSAGES[900971]());
  if (q.redirect_uri && !redirectAllowed(app, q.redirect_uri)) return errorPage(res, 400, 50011, MESSAGES[50011](q.redirect_uri, q.client_id));
  if (v2) {
    const scopes = String(q.scope || '').split(' ').filter(Boolean);
    if (!scopes.length) return errorPage(res, 400, 900144, MESSAGES[900144]('scope'));
    for (const s of scopes) {
      if (!OIDC_SCOPES.includes(s) && !EXCHANGE_SCOPES[s] && !DEFAULT_SCOPES.includes(s)) {
        return errorPage(res, 400, 70011, MESSAGES[70011](s));
      }
    }
  }
  const id = crypto.randomBytes(16).toString('base64url');
  remember(adminConsentRequests, id, { segInfo, q, v2 }, 3600_000);
  return adminConsentLogin(res, id);
}

async function adminConsentStep(req, res, url) {
  const m = url.pathname.match(/^\/adminconsent\/([^/]+)\/(login|accept|cancel)$/);
  const entry = m && adminConsentRequests.get(m[1]);
  if (!entry || req.method !== 'POST') return errorPage(res, 400, 9002313, MESSAGES[9002313]());
  const form = await readForm(req);
  const app = appOf(entry.q.client_id);
  if (m[2] === 'login') {
    const upn = String(form.username || '').trim().toLowerCase();
    const user = userOf(upn);
    if (!user || user.disabled || !passwordOk(USERS, upn, form.password)) {
      return adminConsentLogin(res, m[1], 'AADSTS50126: Your account or password is incorrect.');
    }
    const home = tenantOfUser(upn);
    if (home.personal) return errorPage(res, 400, 500200, MESSAGES[500200](upn));
    if (entry.segInfo.tenant && entry.segInfo.tenant.tid !== home.tid) {
      return errorPage(res, 400, 50020, MESSAGES[50020](upn, entry.segInfo.tenant.name));
    }
    if (app.audience === 'AzureADMyOrg' && app.home_tenant !== home.key) {
      return errorPage(res, 400, 700016, MESSAGES[700016](entry.q.client_id, home.name));
    }
    if (!isAdmin(upn)) {
      log('adminconsent.not_admin', entry.q.client_id);
      return send(res, 403, page('Need admin approval', `
<h1 id="need-admin-approval">Need admin approval</h1>
<p id="error" data-code="AADSTS90094">${escape(MESSAGES[90094](app.name))}</p>
<p>Only an administrator of ${escape(home.name)} can grant these permissions.</p>`));
    }
    entry.upn = upn;
    const scopes = adminConsentScopes(entry);
    return send(res, 200, page('Permissions requested', `
<h1 id="permissions-requested">Permissions requested — accept for your organization</h1>
<p>${escape(app.name)} wants these permissions for every user of ${escape(home.name)}:</p>
<ul>${scopes.filter((s) => s !== 'openid').map((s) => `<li>${escape(s)}</li>`).join('')}</ul>
<form id="consent" method="post" action="/adminconsent/${m[1]}/accept"><button type="submit">Accept</button></form>
<form id="abort" method="post" action="/adminconsent/${m[1]}/cancel"><button>Cancel</button></form>`));
  }
  if (!entry.upn) return errorPage(res, 400, 9002313, MESSAGES[9002313]());
  adminConsentRequests.delete(m[1]);
  const tid = tenantOfUser(entry.upn).tid;
  if (m[2] === 'cancel') {
    log('adminconsent.declined', entry.q.client_id);
    return adminConsentRedirect(res, entry, {
      error: 'access_denied', error_description: describe(65004, MESSAGES[65004]()),
      error_uri: `${AUTHORITY}/error?code=65004`, admin_consent: 'True',
    });
  }
  const scopes = adminConsentScopes(entry);
  const prev = tenantState(tid).admin_grants[entry.q.client_id]?.scopes || [];
  tenantState(tid).admin_grants[entry.q.client_id] = { scopes: [...new Set([...prev, ...scopes])], by: entry.upn, at: now() };
  state.save();
  log('adminconsent.granted', entry.q.client_id, entry.v2 ? 'v2' : 'v1');
  const params = { admin_consent: 'True', tenant: tid };
  if (entry.v2) params.scope = scopes.join(' ');
  return adminConsentRedirect(res, entry, params);
}

// ------------------------------------------------------------------------------------------------
// HTTPS front: Entra's paths onto oidc-provider and the pages above
// ------------------------------------------------------------------------------------------------
const providerCallback = provider.callback();

/** Hands a request to oidc-provider as if it were mounted at /{tenant}. */
async function toProvider(req, res, segInfo, rest) {
  if (req.method === 'POST') req.body = await readBody(req); // lets the rules read the form
  req.entra = segInfo;
  req.originalUrl = req.url;
  req.url = rest;
  return providerCallback(req, res);
}

async function handle(req, res) {
  const url = new URL(req.url, `https://${req.headers.host || HOST}`);
  const host = url.hostname;
  const parts = url.pathname.split('/').filter(Boolean);
  if (host === 'microsoft.com' || host === 'www.microsoft.com') {
    // the device-login page, and the sign-in it leads to (same host: the cookies stay)
    if (url.pathname === '/devicelogin' || url.pathname.startsWith('/devicelogin/')) {
      req.entra = { seg: 'devicelogin', alias: 'common' };
      if (req.method === 'POST') req.body = await readBody(req);
      res.on('finish', () => log('http', req.method, '/devicelogin', res.statusCode));
      return providerCallback(req, res);
    }
    if (!url.pathname.startsWith('/interaction/')) return send(res, 404, page('Not found', 'not found'));
  } else if (host !== HOST && host !== 'login.microsoft.com') {
    return send(res, 404, page('Not found', 'not found'));
  }
  if (url.pathname.startsWith('/interaction/')) {
    await interaction(req, res, url);
    log('http', req.method, '/interaction/…', res.statusCode);
    return undefined;
  }
  if (url.pathname.startsWith('/adminconsent/')) {
    await adminConsentStep(req, res, url);
    log('http', req.method, '/adminconsent/…', res.statusCode);
    return undefined;
  }
  const segInfo = resolveSegment(parts[0]);
  const rest = `/${parts.slice(1).join('/')}`;
  const logged = (status) => log('http', req.method, `/${parts[0] ? (segInfo ? parts[0] : '?') : ''}${rest.replace(/^(\/oauth2\/v2\.0\/authorize)\/.+$/, '$1/…')}`, status);
  if (!segInfo) {
    if (parts.length) {
      logged(400);
      return errorPage(res, 400, 90002, MESSAGES[90002](parts[0]));
    }
    return send(res, 404, page('Not found', 'not found'));
  }
  if (rest === '/v2.0/.well-known/openid-configuration' && req.method === 'GET') {
    logged(200);
    return sendJson(res, 200, metadata(segInfo), { 'cache-control': 'max-age=86400, private' });
  }
  if (rest === '/discovery/v2.0/keys' && req.method === 'GET') {
    logged(200);
    return sendJson(res, 200, publicJwks);
  }
  if ((rest === '/v2.0/adminconsent' || rest === '/adminconsent') && req.method === 'GET') {
    await adminConsentStart(res, segInfo, Object.fromEntries(url.searchParams), rest.startsWith('/v2.0'));
    logged(res.statusCode);
    return undefined;
  }
  if (rest === '/oauth2/v2.0/authorize' && req.method === 'GET') {
    const q = Object.fromEntries(url.searchParams);
    if (authorizeChecks(res, segInfo, q) !== null) { logged(res.statusCode); return undefined; }
  }
  if (rest === '/oauth2/v2.0/authorize' || /^\/oauth2\/v2\.0\/authorize\/[^/]+$/.test(rest)
      || rest === '/oauth2/v2.0/token' || rest === '/oauth2/v2.0/devicecode' || rest === '/oauth2/v2.0/logout') {
    res.on('finish', () => logged(res.statusCode));
    return toProvider(req, res, segInfo, `${rest}${url.search}`);
  }
  logged(404);
  return send(res, 404, page('Not found', 'not found'));
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
    if (!res.headersSent) send(res, err?.statusCode || 500, page('error', `<pre id="error">${escape(err?.message)}</pre>`));
  }
});
server.on('error', (err) => { log('listen error', err.message); process.exit(1); });
server.listen(443, ADDR, () => log(`Entra ID emulator https://${HOST} listening on ${ADDR}:443`));

// ------------------------------------------------------------------------------------------------
// Admin API (tests set the directory's rules here) and token introspection for Dovecot
// ------------------------------------------------------------------------------------------------
function tenantParam(t) {
  const info = resolveSegment(t);
  if (!info?.tenant) throw new Error(`unknown tenant ${t}`);
  return info.tenant;
}

adminServer(ADDR, ADMIN_PORT, [
  ['GET', /^\/state$/, async () => [200, D]],
  ['POST', /^\/introspect$/, async (m, body) => {
    const at = await provider.AccessToken.find(String(body.token || ''));
    if (!at || at.isExpired) return [200, { active: false }];
    return [200, {
      active: true, email: at.accountId, sub: at.accountId, client_id: at.clientId, scope: at.scope,
      // the resource the token is for (its `aud` claim at Entra), and the person's object id
      aud: resourcesIn(String(at.scope || '').split(' '))[0] || '00000003-0000-0000-c000-000000000000', oid: oidOf(at.accountId),
      exp: at.exp, iat: at.iat, tid: tenantOfUser(at.accountId)?.tid,
      // Shared mailboxes: one field per shared mailbox, its address if this person has Full Access
      // to it, "-" otherwise. Dovecot has one passdb per shared mailbox whose username attribute
      // is that field, so XOAUTH2 user=<shared address> with a member's own token opens it.
      ...Object.fromEntries(Object.entries(USERS).filter(([, u]) => u.shared).map(([address, u]) => [
        `fullaccess_${address.replace(/[@.]/g, '_')}`, u.members.includes(at.accountId) ? address : '-'])),
    }];
  }],
  ['PUT', /^\/tenants\/([^/]+)\/settings$/, async (m, body) => {
    const t = tenantParam(m[1]);
    Object.assign(tenantState(t.tid).settings, body);
    state.save();
    return [200, tenantState(t.tid).settings];
  }],
  ['POST', /^\/tenants\/([^/]+)\/grants$/, async (m, body) => {
    const t = tenantParam(m[1]);
    if (!appOf(body.client_id)) throw new Error('unknown client_id');
    const scopes = body.scopes || appOf(body.client_id).permissions;
    tenantState(t.tid).admin_grants[body.client_id] = { scopes, by: 'admin api', at: now() };
    state.save();
    return [200, tenantState(t.tid).admin_grants[body.client_id]];
  }],
  ['DELETE', /^\/tenants\/([^/]+)\/grants\/([^/]+)$/, async (m) => {
    const t = tenantParam(m[1]);
    delete tenantState(t.tid).admin_grants[m[2]];
    state.save();
    return [200, { removed: m[2] }];
  }],
  ['DELETE', /^\/users\/([^/]+)\/grants$/, async (m) => {
    delete D.user_grants[decodeURIComponent(m[1]).toLowerCase()];
    state.save();
    return [200, {}];
  }],
  ['PUT', /^\/users\/([^/]+)$/, async (m, body) => {
    const upn = decodeURIComponent(m[1]).toLowerCase();
    if (!userOf(upn)) throw new Error('unknown user');
    D.users[upn] = { ...(D.users[upn] || {}), ...body };
    state.save();
    return [200, D.users[upn]];
  }],
  ['POST', /^\/users\/([^/]+)\/revoke-sessions$/, async (m) => {
    const upn = decodeURIComponent(m[1]).toLowerCase();
    if (!userOf(upn)) throw new Error('unknown user');
    D.users[upn] = { ...(D.users[upn] || {}), revoked_at: now() + 1 };
    state.save();
    return [200, D.users[upn]];
  }],
  ['PUT', /^\/apps\/([^/]+)$/, async (m, body) => {
    if (!APPS[m[1]]) throw new Error('unknown app');
    D.apps[m[1]] = { ...(D.apps[m[1]] || {}), ...body };
    state.save();
    return [200, appOf(m[1])];
  }],
  ['POST', /^\/rules$/, async (m, body) => {
    const kinds = ['ca_block', 'mfa', 'sign_in_frequency', 'token_error'];
    if (!kinds.includes(body.kind)) throw new Error(`kind must be one of ${kinds.join(', ')}`);
    if (body.user && !userOf(body.user)) throw new Error('unknown user');
    const rule = { id: String(D.seq++), ...body };
    D.rules.push(rule);
    state.save();
    return [201, rule];
  }],
  ['DELETE', /^\/rules\/([^/]+)$/, async (m) => {
    D.rules = D.rules.filter((r) => r.id !== m[1]);
    state.save();
    return [200, {}];
  }],
  ['DELETE', /^\/rules$/, async (m, body, url) => {
    const user = url.searchParams.get('user');
    D.rules = user ? D.rules.filter((r) => r.user?.toLowerCase() !== user.toLowerCase()) : [];
    state.save();
    return [200, {}];
  }],
], 'entra');

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); process.exit(0); });
