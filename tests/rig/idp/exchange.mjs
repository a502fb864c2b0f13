// Exchange Online for Tayori's rig, where no real server can run: the part of Microsoft Graph a mail
// program uses to SEND (drafts from MIME, send, Sent Items lookups), and the SMTP AUTH switch of
// client submission (SmtpClientAuthenticationDisabled, per tenant and per mailbox) in front of the
// rig's own Dovecot submission service. Written from Microsoft's documentation, no more forgiving
// than it: every behaviour and its source page are listed in tests/rig/README.md ("Exchange Online
// emulator: Microsoft Graph and SMTP AUTH").
//
// Storage is the rig's Dovecot: a Graph draft is a message saved into the person's Drafts folder
// (doveadm, the storage Dovecot's IMAP serves), a sent message goes out through the rig's Postfix
// (which delivers by LMTP into Dovecot) and its copy is filed into Sent by this server, as
// Exchange files it. So the same mail is visible through IMAP and Graph. A message's Graph id
// names Dovecot's own GUID of the stored message, which survives moves between folders.
// Reading: mailFolders, delta per folder, $value, PATCH/move/DELETE (readRoute).
//
// Serves https://graph.microsoft.com on 127.0.0.31:443 and smtp.office365.com:587 (STARTTLS) on
// 127.0.0.31 through the rig DNS; the admin API on http://127.0.0.31:9000. Never logs tokens,
// message bodies or AUTH lines.
//
// Environment: TAYORI_RIG_STATE (state dir: pki/, dovecot/dovecot.conf, run/exchange-state.json).
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { log, sendJson, JsonState, adminServer } from './rig-common.mjs';
import { USERS, TENANTS, GRAPH } from './entra-directory.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const STATE = process.env.TAYORI_RIG_STATE || path.resolve(here, '../../../target/rig');
const ADDR = '127.0.0.31';
const ADMIN_PORT = 9000;
const GRAPH_HOST = 'graph.microsoft.com';
const DOVECOT_CONF = path.join(STATE, 'dovecot', 'dovecot.conf');
const INTROSPECT = 'http://127.0.0.30:9000/introspect';
const SUBMISSION = { host: '127.0.0.1', port: 10587 }; // the rig's Dovecot submission (plain on loopback)
const POSTFIX = { host: '127.0.0.1', port: 10025 }; // the rig's Postfix (delivers by LMTP to Dovecot)
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000'; // Microsoft Graph's own app id
const MAX_REQUEST = 4 * 1024 * 1024; // "the total message size must be under 4 MB" for one request
const PAGE_SIZE = 10; // Outlook mail's default page size ("Paging Microsoft Graph data")
const MAX_TOP = 1000;

// ------------------------------------------------------------------------------------------------
// State: transport settings (SMTP AUTH), throttling rules, sends accepted but not yet done
// ------------------------------------------------------------------------------------------------
const TID = Object.fromEntries(Object.entries(TENANTS).map(([key, t]) => [key, t.tid]));
function initialState() {
  return {
    // Set-TransportConfig -SmtpClientAuthenticationDisabled (per tenant): Adatum runs with it on,
    // as security defaults leave it. Set-CASMailbox -SmtpClientAuthenticationDisabled (per
    // mailbox, wins over the tenant): on for the named Contoso people below.
    tenants: { [TID.adatum]: { smtp_client_auth_disabled: true } },
    mailboxes: {
      ...Object.fromEntries(['lee@contoso.test', 't14@contoso.test', 't15@contoso.test', 't16@contoso.test']
        .map((a) => [a, { smtp_client_auth_disabled: true }])),
      // Set-CASMailbox -ImapEnabled $false: IMAP off for t01's mailbox (tests/graph_read.rs).
      't01@contoso.test': { imap_enabled: false },
    },
    throttle: {}, // address -> { times, retry_after }
    throttled_until: {}, // address -> epoch ms before which a request breaks Retry-After
    early_retries: {}, // address -> requests that came before Retry-After had passed
    pending: [], // sends answered 202 and not completed: { mailbox, guid, caller, at }
    send_delay_ms: 1500, // how long after the 202 a send completes
    requests: {}, // "METHOD route" -> count (what tests may assert on)
    mailbox_requests: {}, // address -> { "METHOD route" -> count }
  };
}
const state = new JsonState(path.join(STATE, 'run', 'exchange-state.json'), initialState);
const S = state.data;

const userOf = (a) => USERS[String(a || '').toLowerCase()];
const tenantOf = (a) => { const u = userOf(a); return u && TENANTS[u.tenant]; };
const oidOf = (upn) => {
  const h = crypto.createHash('sha256').update(`entra-oid:${upn}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** Whether SMTP AUTH is off for a mailbox, and which setting says so ('Mailbox' | 'Tenant'). */
function smtpAuthDisabled(address) {
  const mb = S.mailboxes[String(address).toLowerCase()];
  if (mb && typeof mb.smtp_client_auth_disabled === 'boolean') return mb.smtp_client_auth_disabled ? 'Mailbox' : null;
  const t = tenantOf(address);
  return t && S.tenants[t.tid]?.smtp_client_auth_disabled ? 'Tenant' : null;
}

// ------------------------------------------------------------------------------------------------
// Dovecot storage through doveadm (the same maildirs Dovecot's IMAP serves)
// ------------------------------------------------------------------------------------------------
function doveadm(args, input) {
  return new Promise((resolve, reject) => {
    const child = execFile('doveadm', ['-c', DOVECOT_CONF, ...args], { maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' },
      (err, stdout, stderr) => (err ? reject(new Error(`doveadm ${args[0]}: ${stderr.toString().trim() || err.message}`)) : resolve(stdout)));
    if (input !== undefined) child.stdin.end(input);
  });
}

// well-known folder names ("mailFolder resource type") and the rig's Dovecot folders
const WELL_KNOWN = { inbox: 'INBOX', drafts: 'Drafts', sentitems: 'Sent', deleteditems: 'Trash', junkemail: 'Junk', archive: 'Archive' };
const folderId = (mailbox, folder) => Buffer.from(`folder\0${mailbox}\0${folder}`).toString('base64url');
// Folder ids name a Dovecot folder (of any name); whether it exists is asked of Dovecot by the
// routes that read (folderExists), the send routes keep to the well-known ones.
function folderFromId(mailbox, id, any = false) {
  if (WELL_KNOWN[String(id).toLowerCase()]) return WELL_KNOWN[String(id).toLowerCase()];
  try {
    const [kind, mb, folder] = Buffer.from(String(id), 'base64url').toString().split('\0');
    if (kind === 'folder' && mb === mailbox && (any || Object.values(WELL_KNOWN).includes(folder))) return folder;
  } catch { /* not ours */ }
  return undefined;
}
async function folderNames(mailbox) {
  return (await doveadm(['mailbox', 'list', '-u', mailbox])).toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean);
}

// Message ids. An immutable id ("Prefer: IdType=ImmutableId") names only the stored message, so it
// survives moves inside the mailbox; a default (REST) id names the folder too, so it changes when
// the message moves, as Outlook's ids do. Both are opaque to clients.
const messageId = (mailbox, guid, folder, immutable) => Buffer.from(
  immutable ? `imm\0${mailbox}\0${guid}` : `rest\0${mailbox}\0${guid}\0${folder}`,
).toString('base64url');
function parseMessageId(mailbox, id) {
  try {
    const parts = Buffer.from(String(id), 'base64url').toString().split('\0');
    if (parts[1] !== mailbox) return undefined;
    if (parts[0] === 'imm' && parts.length === 3) return { guid: parts[2] };
    if (parts[0] === 'rest' && parts.length === 4) return { guid: parts[2], folder: parts[3] };
  } catch { /* not ours */ }
  return undefined;
}

/** doveadm fetch output ("key: value" blocks separated by form feeds) as objects. */
function parseFetch(out) {
  const records = [];
  for (const block of out.toString('utf8').split('\f')) {
    const rec = {};
    let key = null;
    for (const line of block.split('\n')) {
      const m = /^([a-z.-]+): ?(.*)$/.exec(line);
      if (m && ['uid', 'guid', 'mailbox', 'flags', 'date.saved', 'date.received', 'date.sent', 'hdr.message-id', 'hdr.subject', 'hdr.from', 'hdr.to', 'size.physical', 'size.virtual'].includes(m[1])) {
        key = m[1]; rec[key] = m[2];
      } else if (key && line.startsWith(' ')) rec[key] += line;
    }
    if (rec.guid) records.push(rec);
  }
  return records;
}

const FIELDS = 'uid guid mailbox flags date.saved date.received date.sent size.physical size.virtual hdr.message-id hdr.subject hdr.from hdr.to';
async function findMessages(mailbox, query) {
  return parseFetch(await doveadm(['fetch', '-u', mailbox, FIELDS, ...query]));
}
async function messageByGuid(mailbox, guid) {
  return (await findMessages(mailbox, ['guid', guid]))[0];
}
/** The message's header fields as Graph's internetMessageHeaders: [{name, value}], unfolded. */
async function messageHeaders(mailbox, guid) {
  const out = await doveadm(['fetch', '-u', mailbox, 'hdr', 'guid', guid]);
  const block = out.subarray(out.indexOf('\n') + 1).toString('utf8');
  return block.split(/\r?\n(?![ \t])/).filter((l) => l.includes(':')).map((l) => {
    const at = l.indexOf(':');
    return { name: l.slice(0, at), value: l.slice(at + 1).replace(/\r?\n[ \t]+/g, ' ').trim() };
  });
}
async function rawMessage(mailbox, guid) {
  const out = await doveadm(['fetch', '-u', mailbox, 'text', 'guid', guid]);
  return out.subarray(out.indexOf('\n') + 1); // drop the "text:" line
}

// per-mailbox serialisation of storage changes (a save and the search that finds it)
const locks = new Map();
async function withMailbox(mailbox, fn) {
  const prev = locks.get(mailbox) || Promise.resolve();
  let release;
  const mine = new Promise((r) => { release = r; });
  locks.set(mailbox, prev.then(() => mine));
  await prev;
  try { return await fn(); } finally { release(); }
}

/** Saves a message into a folder and answers its GUID (the newest with that Message-ID there). */
async function saveMessage(mailbox, folder, mime, messageIdHeader, flags) {
  return withMailbox(mailbox, async () => {
    const before = new Set((await findMessages(mailbox, ['mailbox', folder, 'header', 'message-id', messageIdHeader])).map((r) => r.guid));
    await doveadm(['save', '-u', mailbox, '-m', folder], mime);
    const after = (await findMessages(mailbox, ['mailbox', folder, 'header', 'message-id', messageIdHeader]))
      .filter((r) => !before.has(r.guid));
    if (after.length !== 1) throw new Error(`saved message not found once in ${folder} (${after.length})`);
    if (flags) await doveadm(['flags', 'add', '-u', mailbox, flags, 'mailbox', folder, 'guid', after[0].guid]);
    return after[0].guid;
  });
}

// ------------------------------------------------------------------------------------------------
// MIME: the few header facts Graph reports
// ------------------------------------------------------------------------------------------------
function headerBlock(mime) {
  const text = mime.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}
function header(mime, name) {
  const unfolded = headerBlock(mime).replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded);
  return m ? m[1].trim() : undefined;
}
const ADDRESS = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
const addresses = (value) => (String(value || '').match(ADDRESS) || []).map((a) => a.toLowerCase());
const recipient = (a) => ({ emailAddress: { name: a, address: a } });

function messageJson(mailbox, rec, immutable, select) {
  const folder = rec.mailbox;
  const draft = /\\Draft/.test(rec.flags || '');
  const from = addresses(rec['hdr.from'])[0];
  const full = {
    '@odata.etag': `W/"${crypto.createHash('sha1').update(`${rec.guid}${rec.flags}`).digest('base64')}"`,
    id: messageId(mailbox, rec.guid, folder, immutable),
    createdDateTime: new Date(rec['date.saved'] || Date.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
    lastModifiedDateTime: new Date(rec['date.saved'] || Date.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
    receivedDateTime: new Date(rec['date.received'] || rec['date.saved'] || Date.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
    // Exchange takes a received message's sent time from its Date header (Dovecot's date.sent)
    sentDateTime: draft ? null : new Date(rec['date.sent'] || rec['date.received'] || Date.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
    internetMessageId: rec['hdr.message-id'] || null,
    subject: rec['hdr.subject'] || '',
    isDraft: draft,
    isRead: /\\Seen/.test(rec.flags || ''),
    parentFolderId: folderId(mailbox, folder),
    flag: { flagStatus: /\\Flagged/.test(rec.flags || '') ? 'flagged' : 'notFlagged' },
    from: from ? recipient(from) : null,
    toRecipients: addresses(rec['hdr.to']).map(recipient),
  };
  if (!select) return full;
  const out = { '@odata.etag': full['@odata.etag'], id: full.id };
  for (const f of select) if (f in full) out[f] = full[f];
  return out;
}

// ------------------------------------------------------------------------------------------------
// Answers in Graph's shapes ("Microsoft Graph error responses and resource types")
// ------------------------------------------------------------------------------------------------
function graphError(res, status, code, message, headers = {}) {
  const date = new Date().toISOString().replace(/\.\d+Z$/, '');
  const requestId = crypto.randomUUID();
  return sendJson(res, status, {
    error: { code, message, innerError: { date, 'request-id': requestId, 'client-request-id': requestId } },
  }, { 'request-id': requestId, 'client-request-id': requestId, ...headers });
}
// "401 Unauthorized … WWW-Authenticate" as Graph sends it: where to get a token for Graph
const CHALLENGE = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`;
const unauthorized = (res, message) => graphError(res, 401, 'InvalidAuthenticationToken', message, { 'www-authenticate': CHALLENGE });
const accessDenied = (res) => graphError(res, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
const notFound = (res) => graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

/** The caller, by asking the rig's Entra emulator about the token (the tokens are opaque there). */
async function caller(req) {
  const auth = String(req.headers.authorization || '');
  if (!auth) return { error: 'Access token is empty.' };
  const m = /^Bearer ([^\s]+)$/.exec(auth);
  if (!m) return { error: 'Access token validation failure. Invalid audience.' };
  const answer = await new Promise((resolve, reject) => {
    const body = `token=${encodeURIComponent(m[1])}`;
    const r = http.request(INTROSPECT, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (resp) => {
      const chunks = [];
      resp.on('data', (c) => chunks.push(c));
      resp.on('end', () => { try { resolve(JSON.parse(Buffer.concat(chunks).toString())); } catch (e) { reject(e); } });
    });
    r.on('error', reject);
    r.end(body);
  });
  if (!answer.active) return { error: 'Lifetime validation failed, the token is expired.' };
  if (answer.aud !== GRAPH && answer.aud !== GRAPH_APP_ID) return { error: 'Access token validation failure. Invalid audience.' };
  const scopes = new Set(String(answer.scope || '').split(' ').filter((s) => s.startsWith(`${GRAPH}/`)).map((s) => s.slice(GRAPH.length + 1)));
  return { upn: String(answer.email).toLowerCase(), scopes };
}

// ------------------------------------------------------------------------------------------------
// Sending: 202 now, the delivery and the Sent copy a moment later
// ------------------------------------------------------------------------------------------------
function smtpDeliver(from, rcpts, mime) {
  // Plain SMTP to the rig's Postfix on loopback (mynetworks): the transport Exchange hands mail to.
  return new Promise((resolve, reject) => {
    const sock = net.connect(POSTFIX.port, POSTFIX.host);
    const steps = [`EHLO graph.rig.test`, `MAIL FROM:<${from}>`, ...rcpts.map((r) => `RCPT TO:<${r}>`), 'DATA'];
    let buf = '';
    let step = -1;
    let dataSent = false;
    const fail = (e) => { sock.destroy(); reject(e); };
    sock.setTimeout(30000, () => fail(new Error('postfix timeout')));
    sock.on('error', fail);
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (/^\d{3}-/.test(line)) continue;
        const code = Number(line.slice(0, 3));
        if (dataSent) {
          sock.end('QUIT\r\n');
          return code === 250 ? resolve() : reject(new Error(`postfix: ${line}`));
        }
        if (step === steps.length - 1) {
          if (code !== 354) return fail(new Error(`postfix: ${line}`));
          const body = mime.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
          sock.write(Buffer.from(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1'));
          dataSent = true;
          continue;
        }
        if (code >= 400) return fail(new Error(`postfix: ${line}`));
        step += 1;
        sock.write(`${steps[step]}\r\n`);
      }
    });
  });
}

async function completeSend(p) {
  const rec = await messageByGuid(p.mailbox, p.guid);
  if (!rec) { log('send.lost', 'draft gone before the send completed'); return; }
  const mime = await rawMessage(p.mailbox, p.guid);
  const hdrs = headerBlock(mime);
  const rcpts = [...new Set([header(mime, 'To'), header(mime, 'Cc'), header(mime, 'Bcc')].flatMap(addresses))];
  const from = addresses(header(mime, 'From'))[0] || p.mailbox;
  // Bcc never leaves with the message; the Sent copy keeps it
  const outgoing = Buffer.from(mime.toString('latin1').replace(hdrs, hdrs.replace(/^Bcc:.*(?:\r?\n[ \t].*)*\r?\n?/gim, '')), 'latin1');
  // A recipient the transport refuses does not undo the send: Exchange files the Sent copy and
  // the sender hears of the failure by a non-delivery report (not modelled; logged here).
  if (rcpts.length) {
    try { await smtpDeliver(from, rcpts, outgoing); } catch (err) { log('send.ndr', err.message); }
  }
  // "This method saves the message in the Sent Items folder": a new item (a new id) there, the
  // draft gone
  await saveMessage(p.mailbox, 'Sent', mime, rec['hdr.message-id'], '\\Seen');
  await doveadm(['expunge', '-u', p.mailbox, 'mailbox', rec.mailbox, 'guid', p.guid]);
  log('send.completed', `rcpts=${rcpts.length}`);
}

function scheduleSend(p, delay) {
  setTimeout(async () => {
    try {
      await withMailbox(`send:${p.mailbox}`, () => completeSend(p));
    } catch (err) {
      log('send.error', err.message);
    }
    S.pending = S.pending.filter((x) => x !== p && !(x.guid === p.guid && x.at === p.at));
    state.save();
  }, Math.max(0, delay)).unref?.();
}
// sends accepted before a restart complete after it, as Exchange's would
for (const p of S.pending) scheduleSend(p, 200);

// ------------------------------------------------------------------------------------------------
// Graph routes
// ------------------------------------------------------------------------------------------------
async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > MAX_REQUEST) return null;
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

const STRICT_BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/;

/** Whether `upn` may act on `mailbox` ("/me" or "/users/{id | userPrincipalName}"). */
function mailboxFor(upn, who) {
  if (who === 'me') return { mailbox: upn, shared: false };
  const w = decodeURIComponent(who).toLowerCase();
  const byOid = Object.keys(USERS).find((a) => oidOf(a) === w);
  const address = byOid || w;
  if (!userOf(address)) return undefined;
  return { mailbox: address, shared: address !== upn };
}

/** The scope a route needs: one of `names` (plus the .Shared form for another's mailbox). */
function hasScope(who, names, shared) {
  return names.some((n) => who.scopes.has(shared ? `${n}.Shared` : n) || (!shared && who.scopes.has(`${n}.Shared`)));
}

function throttled(res, mailbox) {
  const now = Date.now();
  if (S.throttled_until[mailbox] && now < S.throttled_until[mailbox]) {
    S.early_retries[mailbox] = (S.early_retries[mailbox] || 0) + 1;
    const left = Math.ceil((S.throttled_until[mailbox] - now) / 1000);
    state.save();
    graphError(res, 429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'retry-after': String(left) });
    return true;
  }
  const rule = S.throttle[mailbox];
  if (rule && rule.times > 0) {
    rule.times -= 1;
    S.throttled_until[mailbox] = now + rule.retry_after * 1000;
    state.save();
    graphError(res, 429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'retry-after': String(rule.retry_after) });
    return true;
  }
  return false;
}

// "Outlook service limits" (Microsoft Graph service-specific throttling limits): per app and
// mailbox, "4 concurrent requests"; one more is answered 429 like any other throttling, with a
// Retry-After. The most requests ever in flight at once per mailbox is kept for the benchmark and
// the tests (GET /state: max_concurrent, concurrency_refusals).
const MAILBOX_CONCURRENCY = 4;
const inFlight = {}; // mailbox -> requests being answered now

/** Counts the request as in flight until its answer is sent; false (answered 429) past the limit. */
function admitted(req, res, mailbox) {
  if ((inFlight[mailbox] || 0) >= MAILBOX_CONCURRENCY) {
    S.concurrency_refusals ||= {};
    S.concurrency_refusals[mailbox] = (S.concurrency_refusals[mailbox] || 0) + 1;
    state.save();
    graphError(res, 429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'retry-after': '1' });
    return false;
  }
  inFlight[mailbox] = (inFlight[mailbox] || 0) + 1;
  S.max_concurrent ||= {};
  if (inFlight[mailbox] > (S.max_concurrent[mailbox] || 0)) {
    S.max_concurrent[mailbox] = inFlight[mailbox];
    state.save();
  }
  let done = false;
  const release = () => { if (!done) { done = true; inFlight[mailbox] -= 1; } };
  res.on('finish', release);
  res.on('close', release);
  return true;
}

function count(route, mailbox) {
  S.requests[route] = (S.requests[route] || 0) + 1;
  S.mailbox_requests ||= {};
  S.mailbox_requests[mailbox] ||= {};
  S.mailbox_requests[mailbox][route] = (S.mailbox_requests[mailbox][route] || 0) + 1;
  state.save();
}

// ------------------------------------------------------------------------------------------------
// Reading ("Use the Outlook mail REST API", "List mailFolders", "List childFolders",
// "message: delta", "Get MIME content of a message", "Update message", "message: move",
// "Delete message", "Paging Microsoft Graph data", "Use delta query to track changes"): the
// folders, each folder's messages by delta with @odata.nextLink / @odata.deltaLink, raw MIME, and
// the changes a mail program makes. Everything is read from and written to Dovecot.
// ------------------------------------------------------------------------------------------------
const DELTA_PAGE = 10; // "the default page size is 10 messages" when odata.maxpagesize is absent
const MAX_DELTA_PAGE = 1000;
const ROOT_ID = (mailbox) => Buffer.from(`root\0${mailbox}`).toString('base64url');
const READ = ['Mail.Read', 'Mail.ReadWrite']; // Mail.ReadBasic excludes bodies and MIME
const LIST = ['Mail.ReadBasic', 'Mail.Read', 'Mail.ReadWrite'];
const displayName = (folder) => (folder === 'INBOX' ? 'Inbox' : folder.split('/').pop());

async function folderJson(mailbox, folder, names) {
  const status = (await doveadm(['mailbox', 'status', '-u', mailbox, '-t', 'messages unseen', folder])).toString().trim().split(/\s+/);
  const parent = folder.includes('/') ? folder.slice(0, folder.lastIndexOf('/')) : null;
  return {
    id: folderId(mailbox, folder),
    displayName: displayName(folder),
    parentFolderId: parent ? folderId(mailbox, parent) : ROOT_ID(mailbox),
    childFolderCount: names.filter((n) => n.startsWith(`${folder}/`) && !n.slice(folder.length + 1).includes('/')).length,
    unreadItemCount: Number(status[1] || 0),
    totalItemCount: Number(status[0] || 0),
    isHidden: false,
  };
}

/** A page of a collection with $top/$skip and the @odata.nextLink to the rest. */
function collectionPage(url, items, context) {
  const top = Number(url.searchParams.get('$top') || PAGE_SIZE);
  const skip = Number(url.searchParams.get('$skip') || 0);
  if (!Number.isInteger(top) || top < 1 || top > MAX_TOP || !Number.isInteger(skip) || skip < 0) return null;
  const out = { '@odata.context': context, value: items.slice(skip, skip + top) };
  if (skip + top < items.length) {
    const next = new URL(`https://${GRAPH_HOST}${url.pathname}`);
    for (const [k, v] of url.searchParams) if (k !== '$skip') next.searchParams.set(k, v);
    next.searchParams.set('$skip', String(skip + top));
    out['@odata.nextLink'] = next.href;
  }
  return out;
}

/** The page size a `Prefer: odata.maxpagesize=N` asks for (bounded), and whether one was asked. */
function maxPageSize(req) {
  const m = /odata\.maxpagesize=(\d+)/i.exec(String(req.headers.prefer || ''));
  if (!m) return { size: DELTA_PAGE, asked: false };
  return { size: Math.max(1, Math.min(MAX_DELTA_PAGE, Number(m[1]))), asked: true };
}

// Delta rounds: a round is what changed in a folder since a deltaLink's snapshot, served page by
// page through $skiptoken (the same nextLink serves the same page again, so a client that crashed
// mid-round resumes from its last nextLink); its last page carries the deltaLink of the snapshot
// the round ends in. Old rounds and snapshots are forgotten (a token that is no longer known
// answers 410 SyncStateNotFound and the client starts over, as Graph documents). Kept in memory
// only: a restarted emulator has forgotten every delta state, as an expired one would be.
const DELTA = { delta_rounds: {}, delta_snapshots: {} };
function remember(kind, key, value, keep) {
  const table = DELTA[kind];
  table[key] = { ...value, at: Date.now() };
  const keys = Object.keys(table);
  if (keys.length > keep) keys.sort((a, b) => table[a].at - table[b].at).slice(0, keys.length - keep).forEach((k) => delete table[k]);
}
const etagOf = (rec) => crypto.createHash('sha1').update(`${rec.guid}${rec.flags}${rec.mailbox}`).digest('base64');

async function deltaRound(mailbox, folder, since, immutable, select) {
  const recs = await findMessages(mailbox, ['mailbox', folder]);
  const now = Object.fromEntries(recs.map((r) => [r.guid, etagOf(r)]));
  const entries = [];
  for (const r of recs) if (since[r.guid] !== now[r.guid]) entries.push(messageJson(mailbox, r, immutable, select));
  for (const guid of Object.keys(since)) {
    if (!(guid in now)) entries.push({ '@odata.type': '#microsoft.graph.message', id: messageId(mailbox, guid, folder, immutable), '@removed': { reason: 'deleted' } });
  }
  const snapshot = crypto.randomBytes(12).toString('base64url');
  remember('delta_snapshots', snapshot, { mailbox, folder, items: now }, 400);
  const round = crypto.randomBytes(12).toString('base64url');
  remember('delta_rounds', round, { mailbox, folder, entries, snapshot }, 200);
  return round;
}

function deltaPage(req, res, url, mailbox, round, offset, prefer) {
  const r = DELTA.delta_rounds[round];
  const { size, asked } = maxPageSize(req);
  const page = r.entries.slice(offset, offset + size);
  const base = `https://${GRAPH_HOST}${url.pathname}`;
  const out = {
    '@odata.context': `https://${GRAPH_HOST}/v1.0/$metadata#Collection(message)`,
    value: page,
  };
  if (offset + size < r.entries.length) out['@odata.nextLink'] = `${base}?$skiptoken=${round}.${offset + size}`;
  else out['@odata.deltaLink'] = `${base}?$deltatoken=${r.snapshot}`;
  return sendJson(res, 200, out, { ...prefer, ...(asked ? { 'preference-applied': [prefer['preference-applied'], `odata.maxpagesize=${size}`].filter(Boolean).join(', ') } : {}) });
}

async function readRoute(req, res, url, { who, mailbox, shared, immutable, prefer, rest, select }) {
  // GET /mailFolders, /mailFolders/{id}, /mailFolders/{id}/childFolders
  let mm = /^\/mailFolders(?:\/([^/]+)(\/childFolders)?)?$/.exec(rest);
  if (mm && req.method === 'GET') {
    count('GET mailFolders', mailbox);
    if (!hasScope(who, LIST, shared)) { accessDenied(res); return true; }
    const names = await folderNames(mailbox);
    const id = mm[1] && decodeURIComponent(mm[1]);
    const isRoot = id && (id.toLowerCase() === 'msgfolderroot' || id === ROOT_ID(mailbox));
    const folder = id && !isRoot ? folderFromId(mailbox, id, true) : null;
    if (id && !isRoot && (!folder || !names.includes(folder))) { notFound(res); return true; }
    if (id && !mm[2]) {
      if (isRoot) sendJson(res, 200, { id: ROOT_ID(mailbox), displayName: 'Top of Information Store', parentFolderId: null }, prefer);
      else sendJson(res, 200, await folderJson(mailbox, folder, names), prefer);
      return true;
    }
    const kids = names.filter((n) => (folder ? n.startsWith(`${folder}/`) && !n.slice(folder.length + 1).includes('/') : !n.includes('/')));
    const items = [];
    for (const n of kids) items.push(await folderJson(mailbox, n, names));
    const out = collectionPage(url, items, `https://${GRAPH_HOST}/v1.0/$metadata#users('${encodeURIComponent(mailbox)}')/mailFolders`);
    if (!out) { graphError(res, 400, 'ErrorInvalidArgument', 'The value of $top or $skip is invalid.'); return true; }
    sendJson(res, 200, out, prefer);
    return true;
  }

  // GET /mailFolders/{id}/messages/delta[?$deltatoken= | ?$skiptoken=]
  mm = /^\/mailFolders\/([^/]+)\/messages\/delta$/.exec(rest);
  if (mm && req.method === 'GET') {
    count('GET delta', mailbox);
    if (!hasScope(who, READ, shared)) { accessDenied(res); return true; }
    const folder = folderFromId(mailbox, decodeURIComponent(mm[1]), true);
    if (!folder || !(await folderNames(mailbox)).includes(folder)) { notFound(res); return true; }
    const skip = url.searchParams.get('$skiptoken');
    const delta = url.searchParams.get('$deltatoken');
    const gone = () => graphError(res, 410, 'SyncStateNotFound', 'The sync state generation is not found. Restart the synchronization without a delta token.');
    if (skip !== null) {
      const [round, offset] = skip.split('.');
      const r = DELTA.delta_rounds[round];
      if (!r || r.mailbox !== mailbox || r.folder !== folder || !/^\d+$/.test(offset || '')) { gone(); return true; }
      deltaPage(req, res, url, mailbox, round, Number(offset), prefer);
      return true;
    }
    let since = {};
    if (delta !== null) {
      const snap = DELTA.delta_snapshots[delta];
      if (!snap || snap.mailbox !== mailbox || snap.folder !== folder) { gone(); return true; }
      since = snap.items;
    }
    const round = await deltaRound(mailbox, folder, since, immutable, select);
    deltaPage(req, res, url, mailbox, round, 0, prefer);
    return true;
  }

  // GET /messages/{id}/$value: the message as MIME, byte for byte as stored
  mm = /^\/messages\/([^/]+)\/\$value$/.exec(rest);
  if (mm && req.method === 'GET') {
    count('GET $value', mailbox);
    if (!hasScope(who, READ, shared)) { accessDenied(res); return true; }
    const ref = parseMessageId(mailbox, decodeURIComponent(mm[1]));
    // one doveadm run for the folder and the text ("mailbox: F\ntext:\n<message>")
    const out = ref ? await doveadm(['fetch', '-u', mailbox, 'mailbox text', 'guid', ref.guid]) : Buffer.alloc(0);
    const head = /^mailbox: (.*)\ntext:\n/.exec(out.subarray(0, 4096).toString('latin1'));
    if (!head || (ref.folder && ref.folder !== head[1])) { notFound(res); return true; }
    // Dovecot keeps maildir lines LF-ended and serves them CRLF-ended (its virtual size): MIME
    // comes as Dovecot's IMAP gives it, so the same bytes reach a client either way.
    const mime = Buffer.from(out.subarray(Buffer.byteLength(head[0], 'latin1')).toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': mime.length });
    res.end(mime);
    return true;
  }

  // PATCH /messages/{id}: isRead and flag ("Update message")
  mm = /^\/messages\/([^/]+)$/.exec(rest);
  if (mm && req.method === 'PATCH') {
    count('PATCH message', mailbox);
    if (!hasScope(who, ['Mail.ReadWrite'], shared)) { accessDenied(res); return true; }
    const ref = parseMessageId(mailbox, decodeURIComponent(mm[1]));
    const rec = ref && await messageByGuid(mailbox, ref.guid);
    if (!rec || (ref.folder && ref.folder !== rec.mailbox)) { notFound(res); return true; }
    let body;
    try { body = JSON.parse((await readBody(req) || '').toString('utf8')); } catch { body = null; }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      graphError(res, 400, 'BadRequest', 'Empty Payload. JSON content expected.'); return true;
    }
    const changes = [];
    for (const [key, value] of Object.entries(body)) {
      if (key === 'isRead' && typeof value === 'boolean') changes.push([value ? 'add' : 'remove', '\\Seen']);
      else if (key === 'flag' && value && ['flagged', 'notFlagged', 'complete'].includes(value.flagStatus)) changes.push([value.flagStatus === 'flagged' ? 'add' : 'remove', '\\Flagged']);
      else { graphError(res, 400, 'ErrorInvalidProperty', `The property '${key}' is invalid or cannot be updated.`); return true; }
    }
    for (const [op, flag] of changes) await doveadm(['flags', op, '-u', mailbox, flag, 'mailbox', rec.mailbox, 'guid', ref.guid]);
    sendJson(res, 200, messageJson(mailbox, await messageByGuid(mailbox, ref.guid), immutable, select), prefer);
    return true;
  }

  // POST /messages/{id}/move {destinationId}: 201 with the message in its new folder
  mm = /^\/messages\/([^/]+)\/move$/.exec(rest);
  if (mm && req.method === 'POST') {
    count('POST move', mailbox);
    if (!hasScope(who, ['Mail.ReadWrite'], shared)) { accessDenied(res); return true; }
    const ref = parseMessageId(mailbox, decodeURIComponent(mm[1]));
    const rec = ref && await messageByGuid(mailbox, ref.guid);
    if (!rec || (ref.folder && ref.folder !== rec.mailbox)) { notFound(res); return true; }
    let body;
    try { body = JSON.parse((await readBody(req) || '').toString('utf8')); } catch { body = null; }
    const target = body && typeof body.destinationId === 'string' && folderFromId(mailbox, body.destinationId, true);
    if (!target || !(await folderNames(mailbox)).includes(target)) {
      graphError(res, 400, 'ErrorInvalidIdMalformed', 'Id is malformed.'); return true;
    }
    if (target !== rec.mailbox) await doveadm(['move', '-u', mailbox, target, 'mailbox', rec.mailbox, 'guid', ref.guid]);
    const moved = await messageByGuid(mailbox, ref.guid);
    sendJson(res, 201, messageJson(mailbox, moved, immutable, select), prefer);
    return true;
  }
  return false;
}

async function graph(req, res, url) {
  const m = /^\/v1\.0\/(me|users\/([^/]+))(\/.*)$/.exec(url.pathname);
  if (!m) return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${url.pathname.split('/')[2] || ''}'.`);
  const who = await caller(req);
  if (who.error) return unauthorized(res, who.error);
  const target = mailboxFor(who.upn, m[2] ? m[2] : 'me');
  if (!target) return graphError(res, 404, 'ErrorInvalidUser', `The requested user '${decodeURIComponent(m[2])}' is invalid.`);
  const { mailbox, shared } = target;
  // another person's mailbox: only with Full Access to it (a shared mailbox's members)
  if (shared && !(userOf(mailbox).members || []).includes(who.upn)) return accessDenied(res);
  if (!admitted(req, res, mailbox)) return undefined;
  if (throttled(res, mailbox)) return undefined;
  const immutable = /IdType="?ImmutableId"?/i.test(String(req.headers.prefer || ''));
  const prefer = immutable ? { 'preference-applied': 'IdType="ImmutableId"' } : {};
  const rest = m[3];
  const select = url.searchParams.get('$select')?.split(',').map((s) => s.trim()).filter(Boolean);

  if (await readRoute(req, res, url, { who, mailbox, shared, immutable, prefer, rest, select })) return undefined;

  // POST /messages: a draft from MIME ("Create message": Content-Type text/plain, base64 MIME)
  if (req.method === 'POST' && (rest === '/messages' || /^\/mailFolders\/[^/]+\/messages$/.test(rest))) {
    count('POST messages', mailbox);
    if (!hasScope(who, ['Mail.ReadWrite'], shared)) return accessDenied(res);
    const folder = rest === '/messages' ? 'Drafts' : folderFromId(mailbox, rest.split('/')[2]);
    if (!folder) return notFound(res);
    const body = await readBody(req);
    if (body === null) return graphError(res, 413, 'ErrorRequestEntityTooLarge', 'The request is too large.');
    const type = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (type !== 'text/plain') {
      if (type === 'application/json') return graphError(res, 400, 'ErrorInvalidRequest', 'JSON messages are not served by the rig; send MIME.');
      return graphError(res, 415, 'UnsupportedMediaType', 'The content type is not supported.');
    }
    const text = body.toString('latin1');
    const mime = Buffer.from(text, 'base64');
    if (!text.trim() || !STRICT_BASE64.test(text) || mime.length === 0) {
      return graphError(res, 400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
    }
    if (!/^[!-9;-~]+:/m.test(headerBlock(mime))) return graphError(res, 400, 'ErrorMimeContentInvalid', 'The MIME content is invalid.');
    let stored = mime;
    let mid = header(mime, 'Message-ID');
    if (!mid) { // Exchange gives every item an internet message id
      mid = `<${crypto.randomBytes(12).toString('hex').toUpperCase()}@${mailbox.split('@')[1]}.prod.outlook.com>`;
      stored = Buffer.concat([Buffer.from(`Message-ID: ${mid}\r\n`), mime]);
    }
    const guid = await saveMessage(mailbox, folder, stored, mid, folder === 'Drafts' ? '\\Draft \\Seen' : undefined);
    const rec = await messageByGuid(mailbox, guid);
    log('graph.draft.created', immutable ? 'immutable-id' : 'rest-id');
    return sendJson(res, 201, {
      '@odata.context': `https://${GRAPH_HOST}/v1.0/$metadata#users('${encodeURIComponent(mailbox)}')/messages/$entity`,
      ...messageJson(mailbox, rec, immutable),
    }, { location: `https://${GRAPH_HOST}/v1.0/users/${oidOf(mailbox)}/messages/${messageId(mailbox, guid, rec.mailbox, immutable)}`, ...prefer });
  }

  // POST /messages/{id}/send ("Send message": 202 Accepted, completes later, files the Sent copy)
  let mm = /^\/messages\/([^/]+)\/send$/.exec(rest);
  if (req.method === 'POST' && mm) {
    count('POST send', mailbox);
    if (!hasScope(who, ['Mail.Send'], shared)) return accessDenied(res);
    await readBody(req);
    const ref = parseMessageId(mailbox, decodeURIComponent(mm[1]));
    const rec = ref && await messageByGuid(mailbox, ref.guid);
    if (!rec || (ref.folder && ref.folder !== rec.mailbox)) return notFound(res);
    if (!/\\Draft/.test(rec.flags || '')) return graphError(res, 400, 'ErrorInvalidOperation', 'Only a draft message can be sent.');
    // Send As: the From address must be the mailbox itself, with the caller allowed to send as it
    const mime = await rawMessage(mailbox, ref.guid);
    const from = addresses(header(mime, 'From'))[0] || mailbox;
    const mayAs = (a) => a === who.upn || (userOf(a)?.send_as || []).includes(who.upn);
    if (from !== mailbox || !mayAs(from)) {
      return graphError(res, 403, 'ErrorSendAsDenied', 'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.');
    }
    const p = { mailbox, guid: ref.guid, at: Date.now() };
    S.pending.push(p);
    state.save();
    scheduleSend(p, S.send_delay_ms);
    log('graph.send.accepted');
    res.writeHead(202, { 'content-length': '0', ...prefer });
    return res.end();
  }

  // GET /messages/{id}
  mm = /^\/messages\/([^/]+)$/.exec(rest);
  if (mm && (req.method === 'GET' || req.method === 'DELETE')) {
    count(`${req.method} message`, mailbox);
    if (!hasScope(who, req.method === 'GET' ? ['Mail.ReadBasic', 'Mail.Read', 'Mail.ReadWrite'] : ['Mail.ReadWrite'], shared)) return accessDenied(res);
    const ref = parseMessageId(mailbox, decodeURIComponent(mm[1]));
    const rec = ref && await messageByGuid(mailbox, ref.guid);
    if (!rec || (ref.folder && ref.folder !== rec.mailbox)) return notFound(res);
    if (req.method === 'DELETE') { // "Delete message": into Deleted Items
      if (rec.mailbox === 'Trash') await doveadm(['expunge', '-u', mailbox, 'mailbox', 'Trash', 'guid', ref.guid]);
      else await doveadm(['move', '-u', mailbox, 'Trash', 'mailbox', rec.mailbox, 'guid', ref.guid]);
      res.writeHead(204);
      return res.end();
    }
    // $expand: only an extended property by id ("Get singleValueLegacyExtendedProperty":
    // `$expand=singleValueExtendedProperties($filter=id eq '{type} {proptag}')`), here
    // PidTagMessageSize (Integer 0x0E08), the size Exchange keeps; anything else is not served.
    const expand = url.searchParams.get('$expand');
    let properties = null;
    if (expand !== null) {
      const want = /^singleValueExtendedProperties\(\$filter=id eq '(\w+) 0x([0-9a-f]+)'\)$/i.exec(expand.trim());
      if (!want) return graphError(res, 400, 'BadRequest', 'This $expand is not served by the rig.');
      const [type, tag] = [want[1].toLowerCase(), parseInt(want[2], 16)];
      properties = type === 'integer' && tag === 0x0e08 ? [{ id: 'Integer 0xe08', value: String(rec['size.virtual'] || 0) }] : [];
    }
    const json = messageJson(mailbox, rec, immutable, select);
    // "Returned only on applying a $select query option" (message resource type)
    if (select?.includes('internetMessageHeaders')) json.internetMessageHeaders = await messageHeaders(mailbox, ref.guid);
    if (properties) json.singleValueExtendedProperties = properties;
    return sendJson(res, 200, json, prefer);
  }

  // GET /messages and /mailFolders/{id}/messages: $filter on internetMessageId, $top, paging
  mm = /^(?:\/mailFolders\/([^/]+))?\/messages$/.exec(rest);
  if (mm && req.method === 'GET') {
    count('GET messages', mailbox);
    if (!hasScope(who, ['Mail.ReadBasic', 'Mail.Read', 'Mail.ReadWrite'], shared)) return accessDenied(res);
    const folder = mm[1] ? folderFromId(mailbox, decodeURIComponent(mm[1])) : null;
    if (mm[1] && !folder) return notFound(res);
    const query = folder ? ['mailbox', folder] : ['all'];
    const filter = url.searchParams.get('$filter');
    if (filter !== null) {
      const f = /^internetMessageId eq '((?:[^']|'')*)'$/.exec(filter.trim());
      if (!f) return graphError(res, 400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid nodes.');
      query.push('header', 'message-id', f[1].replace(/''/g, "'"));
    }
    const top = Number(url.searchParams.get('$top') || PAGE_SIZE);
    const skip = Number(url.searchParams.get('$skip') || 0);
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP || !Number.isInteger(skip) || skip < 0) {
      return graphError(res, 400, 'ErrorInvalidArgument', 'The value of $top or $skip is invalid.');
    }
    let recs = await findMessages(mailbox, query);
    if (filter !== null) { // the header search is a substring search; Graph's eq is exact
      const want = /^internetMessageId eq '((?:[^']|'')*)'$/.exec(filter.trim())[1].replace(/''/g, "'");
      recs = recs.filter((r) => r['hdr.message-id'] === want);
    }
    recs.sort((a, b) => Number(b['date.received'] ? Date.parse(b['date.received']) : 0) - Number(a['date.received'] ? Date.parse(a['date.received']) : 0));
    const pageRecs = recs.slice(skip, skip + top);
    const out = {
      '@odata.context': `https://${GRAPH_HOST}/v1.0/$metadata#users('${encodeURIComponent(mailbox)}')/messages`,
      value: pageRecs.map((r) => messageJson(mailbox, r, immutable, select)),
    };
    if (skip + top < recs.length) {
      const next = new URL(`https://${GRAPH_HOST}${url.pathname}`);
      for (const [k, v] of url.searchParams) if (k !== '$skip') next.searchParams.set(k, v);
      next.searchParams.set('$skip', String(skip + top));
      out['@odata.nextLink'] = next.href;
    }
    return sendJson(res, 200, out, prefer);
  }

  // POST /sendMail with MIME ("Send mail": one call, 202, Mail.Send only)
  if (req.method === 'POST' && rest === '/sendMail') {
    count('POST sendMail', mailbox);
    if (!hasScope(who, ['Mail.Send'], shared)) return accessDenied(res);
    const body = await readBody(req);
    if (body === null) return graphError(res, 413, 'ErrorRequestEntityTooLarge', 'The request is too large.');
    if (String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase() !== 'text/plain') {
      return graphError(res, 400, 'ErrorInvalidRequest', 'JSON messages are not served by the rig; send MIME.');
    }
    const text = body.toString('latin1');
    const mime = Buffer.from(text, 'base64');
    if (!text.trim() || !STRICT_BASE64.test(text)) return graphError(res, 400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
    const from = addresses(header(mime, 'From'))[0] || mailbox;
    if (from !== mailbox || !(from === who.upn || (userOf(from)?.send_as || []).includes(who.upn))) {
      return graphError(res, 403, 'ErrorSendAsDenied', 'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.');
    }
    const mid = header(mime, 'Message-ID') || `<${crypto.randomBytes(12).toString('hex').toUpperCase()}@${mailbox.split('@')[1]}.prod.outlook.com>`;
    const stored = header(mime, 'Message-ID') ? mime : Buffer.concat([Buffer.from(`Message-ID: ${mid}\r\n`), mime]);
    const guid = await saveMessage(mailbox, 'Drafts', stored, mid, '\\Draft \\Seen');
    const p = { mailbox, guid, at: Date.now() };
    S.pending.push(p);
    state.save();
    scheduleSend(p, S.send_delay_ms);
    res.writeHead(202, { 'content-length': '0' });
    return res.end();
  }
  return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${rest.split('/')[1] || ''}'.`);
}

const server = https.createServer({
  key: fs.readFileSync(path.join(STATE, 'pki/server.key')),
  cert: fs.readFileSync(path.join(STATE, 'pki/server.crt')),
}, async (req, res) => {
  const url = new URL(req.url, `https://${req.headers.host || GRAPH_HOST}`);
  res.on('finish', () => log('http', req.method, url.pathname.replace(/\/messages\/[^/]+/, '/messages/…').replace(/\/users\/[^/]+/, '/users/…'), res.statusCode));
  try {
    if (url.hostname !== GRAPH_HOST) return graphError(res, 404, 'NotFound', 'not found');
    return await graph(req, res, url);
  } catch (err) {
    log('graph error', err?.message || '');
    if (!res.headersSent) return graphError(res, 500, 'InternalServerError', 'An internal server error occurred.');
    return undefined;
  }
});
server.on('error', (err) => { log('listen error', err.message); process.exit(1); });
server.listen(443, ADDR, () => log(`Microsoft Graph emulator https://${GRAPH_HOST} listening on ${ADDR}:443`));

// ------------------------------------------------------------------------------------------------
// smtp.office365.com:587: Exchange's SMTP AUTH switch in front of the rig's Dovecot submission.
// Everything but the switch is Dovecot's own answer, relayed line by line.
// ------------------------------------------------------------------------------------------------
const TLS_CONTEXT = tls.createSecureContext({
  key: fs.readFileSync(path.join(STATE, 'pki/server.key')),
  cert: fs.readFileSync(path.join(STATE, 'pki/server.crt')),
});
const REFUSALS = {
  Tenant: '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
  Mailbox: '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.',
};
const NOT_AUTHENTICATED = '530 5.7.57 Client not authenticated to send mail. [rig.prod.outlook.com]';

/** The user an AUTH exchange names (XOAUTH2 user=…, OAUTHBEARER a=…, PLAIN authcid). */
function saslUser(mech, b64) {
  let raw;
  try { raw = Buffer.from(b64, 'base64').toString('utf8'); } catch { return undefined; }
  if (mech === 'XOAUTH2') return /^user=([^\x01]*)\x01/.exec(raw)?.[1];
  if (mech === 'OAUTHBEARER') return /^n,a=([^,]*),/.exec(raw)?.[1]?.replace(/=2C/g, ',').replace(/=3D/g, '=');
  if (mech === 'PLAIN') return raw.split('\0')[1];
  return undefined;
}

function smtpFront(client) {
  let clientSock = client;
  let upstream = null;
  let cbuf = '';
  let ubuf = '';
  let secure = false;
  let authed = false;
  let awaiting = null; // { mech } while a SASL exchange waits for the client's response
  let lastCommand = '';
  let swallow = 0; // Dovecot's answers to a cancelled SASL exchange, not relayed
  const toClient = (line) => clientSock.write(`${line}\r\n`);
  const close = () => { clientSock.destroy(); upstream?.destroy(); };

  let ehlo = null; // the EHLO answer's lines, rewritten as a whole once complete
  function onUpstreamLine(line) {
    if (swallow > 0 && /^\d{3} /.test(line)) { swallow -= 1; return undefined; }
    if (/^250[ -]/.test(line) && /^EHLO/i.test(lastCommand)) {
      ehlo ||= [];
      ehlo.push(line.slice(4));
      if (line[3] === '-') return undefined;
      // Before STARTTLS Exchange offers STARTTLS and no AUTH; after it, AUTH and no STARTTLS. The
      // relay is line based, so no BDAT chunks through it (Dovecot's CHUNKING, BINARYMIME).
      const lines = ehlo.filter((cap, i) => {
        const c = cap.toUpperCase();
        if (i === 0) return true;
        if (c === 'CHUNKING' || c === 'BINARYMIME' || c === 'STARTTLS') return false;
        return secure || !c.startsWith('AUTH');
      });
      if (!secure) lines.push('STARTTLS');
      ehlo = null;
      lines.forEach((cap, i) => toClient(`250${i === lines.length - 1 ? ' ' : '-'}${cap}`));
      return undefined;
    }
    if (/^530 /.test(line) && /^MAIL/i.test(lastCommand)) return toClient(NOT_AUTHENTICATED);
    if (/^235 /.test(line)) authed = true;
    return toClient(line);
  }

  upstream = net.connect(SUBMISSION.port, SUBMISSION.host);
  upstream.on('error', close);
  upstream.on('close', () => clientSock.destroy());
  upstream.on('data', (d) => {
    ubuf += d.toString('latin1');
    let nl;
    while ((nl = ubuf.indexOf('\n')) >= 0) {
      const line = ubuf.slice(0, nl).replace(/\r$/, '');
      ubuf = ubuf.slice(nl + 1);
      onUpstreamLine(line);
    }
  });

  let dataMode = false;
  function onClientLine(line) {
    if (dataMode) { // message text passes through untouched
      upstream.write(`${line}\r\n`, 'latin1');
      if (line === '.') dataMode = false;
      return;
    }
    if (awaiting) {
      const { mech } = awaiting;
      awaiting = null;
      const user = saslUser(mech, line);
      const off = user && smtpAuthDisabled(user);
      if (off) {
        log('smtp.auth.refused', mech, `5.7.139 (${off})`);
        upstream.write('*\r\n'); // ends Dovecot's half of the exchange (its 501 is not relayed)
        swallow = 1;
        return toClient(REFUSALS[off]);
      }
      return upstream.write(`${line}\r\n`);
    }
    const verb = line.split(' ')[0].toUpperCase();
    lastCommand = line;
    if (verb === 'STARTTLS') {
      if (secure) return toClient('503 5.5.1 Already in TLS');
      toClient('220 2.0.0 SMTP server ready');
      clientSock.removeAllListeners('data');
      const secured = new tls.TLSSocket(clientSock, { isServer: true, secureContext: TLS_CONTEXT });
      secured.on('error', close);
      secured.on('data', onClientData);
      secured.on('close', () => upstream.destroy());
      clientSock = secured;
      secure = true;
      cbuf = '';
      return undefined;
    }
    if (verb === 'AUTH') {
      if (!secure) return toClient('504 5.7.4 Unrecognized authentication type');
      const [, mechRaw, initial] = line.split(' ');
      const mech = String(mechRaw || '').toUpperCase();
      if (initial && initial !== '=') {
        const user = saslUser(mech, initial);
        const off = user && smtpAuthDisabled(user);
        if (off) { log('smtp.auth.refused', mech, `5.7.139 (${off})`); return toClient(REFUSALS[off]); }
      } else {
        awaiting = { mech };
      }
      return upstream.write(`${line}\r\n`);
    }
    if (verb === 'DATA' && authed) dataMode = true;
    return upstream.write(`${line}\r\n`, 'latin1');
  }

  function onClientData(d) {
    cbuf += d.toString('latin1');
    let nl;
    while ((nl = cbuf.indexOf('\n')) >= 0) {
      const line = cbuf.slice(0, nl).replace(/\r$/, '');
      cbuf = cbuf.slice(nl + 1);
      onClientLine(line);
    }
  }
  client.on('data', onClientData);
  client.on('error', close);
  client.on('close', () => { if (clientSock === client) upstream.destroy(); });
}

const smtp = net.createServer(smtpFront);
smtp.on('error', (err) => { log('smtp listen error', err.message); process.exit(1); });
smtp.listen(587, ADDR, () => log(`SMTP AUTH front smtp.office365.com listening on ${ADDR}:587`));

// ------------------------------------------------------------------------------------------------
// outlook.office365.com:993: Exchange's per-mailbox IMAP switch (Set-CASMailbox -ImapEnabled) in
// front of the rig's Dovecot IMAP. Exchange checks the token first and the switch after it: a
// mailbox with IMAP off signs in fine at Entra and is then refused by IMAP with the documented
// "NO AUTHENTICATE failed." (tests/rig/README.md). `imap_refusal: "not_connected"` is the other
// documented way: the sign-in is taken, every later command answers "BAD User is authenticated
// but not connected.". Everything else is Dovecot's own answer; once a sign-in is taken the
// connection is relayed byte for byte (IDLE, COMPRESS, literals).
// ------------------------------------------------------------------------------------------------
const IMAP_UPSTREAM = { host: '127.0.0.1', port: 10143 }; // the rig's Dovecot (plain on loopback)
const IMAP_ADDR = '127.0.0.10'; // outlook.office365.com in the rig DNS

/** How IMAP is refused for a mailbox: null (IMAP on), 'authenticate' or 'not_connected'. */
function imapRefusal(address) {
  const mb = S.mailboxes[String(address || '').toLowerCase()];
  if (!mb || mb.imap_enabled !== false) return null;
  return mb.imap_refusal === 'not_connected' ? 'not_connected' : 'authenticate';
}

function imapFront(client) {
  let upstream = null;
  let relaying = false; // signed in: bytes pass untouched both ways
  let cbuf = Buffer.alloc(0);
  let ubuf = '';
  let swallowGreeting = false;
  let pending = null; // { tag, verb, mech, user, awaitingResponse } while a sign-in is under way
  let notConnected = false;
  const toClient = (line) => client.write(`${line}\r\n`, 'latin1');
  const close = () => { client.destroy(); upstream?.destroy(); };

  function onUpstreamLine(line) {
    if (swallowGreeting) { swallowGreeting = false; return; }
    // Exchange offers no STARTTLS on its implicit-TLS port (Dovecot's plain listener does).
    let out = /^\* (OK \[CAPABILITY |CAPABILITY )/i.test(line) ? line.replace(/ STARTTLS\b/g, '') : line;
    if (pending && line.startsWith(`${pending.tag} `)) {
      const done = pending;
      pending = null;
      if (/^\S+ OK\b/i.test(line)) {
        const refusal = imapRefusal(done.user);
        count(`IMAP ${done.verb}`, String(done.user || '').toLowerCase());
        if (refusal === 'authenticate') {
          count('IMAP refused', String(done.user).toLowerCase());
          log('imap.auth.refused', done.verb, 'ImapEnabled false');
          // Dovecot took the sign-in; Exchange refuses it. A fresh Dovecot connection keeps this
          // one unauthenticated, as Exchange's is after a refusal.
          upstream.removeAllListeners();
          upstream.destroy();
          connectUpstream(true);
          return toClient(`${done.tag} NO ${done.verb} failed.`);
        }
        if (refusal === 'not_connected') {
          count('IMAP refused', String(done.user).toLowerCase());
          log('imap.auth.refused', done.verb, 'ImapEnabled false (not connected)');
          notConnected = true;
          toClient(out);
          return undefined;
        }
        toClient(out);
        relaying = true;
        if (cbuf.length) { upstream.write(cbuf); cbuf = Buffer.alloc(0); }
        return undefined;
      }
      out = line; // Dovecot's refusal of the token itself
    }
    return toClient(out);
  }

  function connectUpstream(quiet) {
    ubuf = '';
    swallowGreeting = quiet;
    upstream = net.connect(IMAP_UPSTREAM.port, IMAP_UPSTREAM.host);
    upstream.on('error', close);
    upstream.on('close', () => client.destroy());
    upstream.on('data', (d) => {
      if (relaying && !ubuf) { client.write(d); return; }
      ubuf += d.toString('latin1');
      let nl;
      while (!relaying && (nl = ubuf.indexOf('\n')) >= 0) {
        const line = ubuf.slice(0, nl).replace(/\r$/, '');
        ubuf = ubuf.slice(nl + 1);
        onUpstreamLine(line);
      }
      if (relaying && ubuf) { client.write(Buffer.from(ubuf, 'latin1')); ubuf = ''; }
    });
  }

  function onClientLine(raw) {
    const line = raw.toString('latin1').replace(/\r?\n$/, '');
    if (notConnected) {
      const [tag, verb] = line.split(' ');
      const v = String(verb || '').toUpperCase();
      if (v === 'LOGOUT') {
        toClient('* BYE Microsoft Exchange Server IMAP4 server signing off.');
        toClient(`${tag} OK LOGOUT completed.`);
        return close();
      }
      if (v === 'CAPABILITY' || v === 'NOOP') return upstream.write(raw);
      return toClient(`${tag} BAD User is authenticated but not connected.`);
    }
    if (pending?.awaitingResponse) {
      pending.awaitingResponse = false;
      if (pending.user === undefined) pending.user = saslUser(pending.mech, line.trim());
      return upstream.write(raw);
    }
    const m = /^(\S+) (AUTHENTICATE|LOGIN) ?(.*)$/i.exec(line);
    if (m) {
      const [, tag, verbRaw, rest] = m;
      const verb = verbRaw.toUpperCase();
      if (verb === 'AUTHENTICATE') {
        const [mechRaw, initial] = rest.split(' ');
        const mech = String(mechRaw || '').toUpperCase();
        const user = initial && initial !== '=' ? saslUser(mech, initial) : undefined;
        pending = { tag, verb, mech, user, awaitingResponse: !initial };
      } else {
        const user = /^"?([^" ]*)"?/.exec(rest)?.[1];
        pending = { tag, verb, mech: 'LOGIN', user, awaitingResponse: false };
      }
    }
    return upstream.write(raw);
  }

  connectUpstream(false);
  client.on('data', (d) => {
    if (relaying) { upstream.write(d); return; }
    cbuf = Buffer.concat([cbuf, d]);
    let nl;
    while (!relaying && (nl = cbuf.indexOf(0x0a)) >= 0) {
      const raw = cbuf.subarray(0, nl + 1);
      cbuf = cbuf.subarray(nl + 1);
      onClientLine(raw);
    }
    if (relaying && cbuf.length) { upstream.write(cbuf); cbuf = Buffer.alloc(0); }
  });
  client.on('error', close);
  client.on('close', () => upstream?.destroy());
}

const imap = tls.createServer({ key: fs.readFileSync(path.join(STATE, 'pki/server.key')),
  cert: fs.readFileSync(path.join(STATE, 'pki/server.crt')) }, imapFront);
imap.on('tlsClientError', () => {});
imap.on('error', (err) => { log('imap listen error', err.message); process.exit(1); });
imap.listen(993, IMAP_ADDR, () => log(`IMAP switch outlook.office365.com listening on ${IMAP_ADDR}:993`));

// ------------------------------------------------------------------------------------------------
// Admin API: the tenant's and mailboxes' settings, throttling, what was asked
// ------------------------------------------------------------------------------------------------
function tenantId(t) {
  const s = String(t).toLowerCase();
  const found = Object.values(TENANTS).find((x) => x.tid === s || x.domains.includes(s));
  if (!found) throw new Error(`unknown tenant ${t}`);
  return found.tid;
}

adminServer(ADDR, ADMIN_PORT, [
  ['GET', /^\/state$/, async () => [200, S]],
  ['PUT', /^\/tenants\/([^/]+)\/transport$/, async (m, body) => {
    const tid = tenantId(m[1]);
    S.tenants[tid] = { ...(S.tenants[tid] || {}), ...body };
    state.save();
    return [200, S.tenants[tid]];
  }],
  ['PUT', /^\/mailboxes\/([^/]+)$/, async (m, body) => {
    const a = decodeURIComponent(m[1]).toLowerCase();
    if (!userOf(a)) throw new Error('unknown mailbox');
    S.mailboxes[a] = { ...(S.mailboxes[a] || {}), ...body };
    state.save();
    return [200, S.mailboxes[a]];
  }],
  ['PUT', /^\/throttle\/([^/]+)$/, async (m, body) => {
    const a = decodeURIComponent(m[1]).toLowerCase();
    S.throttle[a] = { times: Number(body.times ?? 1), retry_after: Number(body.retry_after ?? 2) };
    S.early_retries[a] = 0;
    delete S.throttled_until[a];
    state.save();
    return [200, S.throttle[a]];
  }],
  ['PUT', /^\/send-delay$/, async (m, body) => {
    S.send_delay_ms = Number(body.ms);
    state.save();
    return [200, { send_delay_ms: S.send_delay_ms }];
  }],
  ['DELETE', /^\/requests$/, async () => {
    S.requests = {};
    S.mailbox_requests = {};
    S.max_concurrent = {};
    S.concurrency_refusals = {};
    state.save();
    return [200, {}];
  }],
], 'exchange');

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); smtp.close(); imap.close(); process.exit(0); });
