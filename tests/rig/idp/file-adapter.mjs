// Small persistent storage adapter for oidc-provider: every model instance (grants, refresh and
// access tokens, sessions, registered clients, ...) lives in memory and is written to one JSON file,
// so an IdP restart (an "outage" in a failure test) does not invalidate tokens, as with a real
// provider. The file holds live tokens: it is kept in the rig's state dir with mode 0600, never
// in the log dir. Writes are coalesced and flushed synchronously on exit.
import fs from 'node:fs';
import path from 'node:path';

const now = () => Math.floor(Date.now() / 1000);
let file;
let store = {}; // { [model]: { [id]: { payload, exp } } }
let dirty = false;
let timer;

function flush() {
  if (!dirty || !file) return;
  dirty = false;
  const t = now();
  for (const model of Object.values(store)) {
    for (const [id, e] of Object.entries(model)) if (e.exp && e.exp <= t) delete model[id];
  }
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(store), { mode: 0o600 });
  fs.renameSync(tmp, file);
}
function markDirty() {
  dirty = true;
  if (!timer) timer = setTimeout(() => { timer = undefined; flush(); }, 50);
}

export function openStore(filename) {
  file = filename;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    store = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    store = {};
  }
  process.on('exit', flush);
}

export default class FileAdapter {
  constructor(name) {
    this.name = name;
    store[name] ||= {};
  }

  get entries() { return (store[this.name] ||= {}); }

  live(id) {
    const e = this.entries[id];
    if (!e) return undefined;
    if (e.exp && e.exp <= now()) { delete this.entries[id]; markDirty(); return undefined; }
    return e;
  }

  async upsert(id, payload, expiresIn) {
    this.entries[id] = { payload, exp: expiresIn ? now() + expiresIn : undefined };
    markDirty();
  }

  async find(id) { return this.live(id)?.payload; }

  async findByUserCode(userCode) {
    for (const id of Object.keys(this.entries)) {
      const e = this.live(id);
      if (e?.payload.userCode === userCode) return e.payload;
    }
    return undefined;
  }

  async findByUid(uid) {
    for (const id of Object.keys(this.entries)) {
      const e = this.live(id);
      if (e?.payload.uid === uid) return e.payload;
    }
    return undefined;
  }

  async consume(id) {
    const e = this.live(id);
    if (e) { e.payload.consumed = now(); markDirty(); }
  }

  async destroy(id) {
    delete this.entries[id];
    markDirty();
  }

  async revokeByGrantId(grantId) {
    for (const model of Object.values(store)) {
      for (const [id, e] of Object.entries(model)) if (e.payload?.grantId === grantId) delete model[id];
    }
    markDirty();
  }
}
