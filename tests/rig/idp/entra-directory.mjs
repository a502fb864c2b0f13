// The directory the Entra ID emulator serves: tenants, people, app registrations, the Exchange Online
// permissions. Everything here is test data; tests/rig/README.md lists it. Passwords follow one
// pattern: "<local part>-entra-secret".

export const HOST = 'login.microsoftonline.com';
export const AUTHORITY = `https://${HOST}`;
export const CONSUMERS_TID = '9188040d-6c67-4c5b-b112-36a304b66dad'; // Microsoft's own, for MSA

export const TENANTS = {
  contoso: {
    tid: 'aaaabbbb-0000-4c0c-8000-000000000001',
    name: 'Contoso',
    domains: ['contoso.test', 'contoso.onmicrosoft.com'],
    personal: false,
    // "Let Microsoft manage your consent settings" (microsoft-user-default-recommended), the
    // default for new tenants: users may not consent to IMAP.AccessAsUser.All.
    settings: {
      user_consent: 'microsoft-managed',
      admin_consent_workflow: false,
      risk_based_step_up: true,
      consent_return_error: '65001',
    },
  },
  fabrikam: {
    tid: 'aaaabbbb-0000-4fab-8000-000000000002',
    name: 'Fabrikam',
    domains: ['fabrikam.test', 'fabrikam.onmicrosoft.com'],
    personal: false,
    // the older "Allow user consent for apps" (microsoft-user-default-legacy)
    settings: {
      user_consent: 'allow',
      admin_consent_workflow: false,
      risk_based_step_up: false,
      consent_return_error: '65001',
    },
  },
  // the rig's smoke test changes this tenant's consents; tests leave it alone
  northwind: {
    tid: 'aaaabbbb-0000-4a0a-8000-000000000003',
    name: 'Northwind Traders',
    domains: ['northwind.test', 'northwind.onmicrosoft.com'],
    personal: false,
    settings: {
      user_consent: 'microsoft-managed',
      admin_consent_workflow: false,
      risk_based_step_up: true,
      consent_return_error: '65001',
    },
  },
  // A tenant whose domain says Microsoft only by the record Microsoft tells every tenant to
  // publish, autodiscover.adatum.test CNAME autodiscover.outlook.com (its MX is another company's
  // filter): the privacy test's (tests/privacy.rs) "autodiscover CNAME" kind of address.
  adatum: {
    tid: 'aaaabbbb-0000-4ada-8000-000000000004',
    name: 'Adatum',
    domains: ['adatum.test', 'adatum.onmicrosoft.com'],
    personal: false,
    settings: {
      user_consent: 'allow',
      admin_consent_workflow: false,
      risk_based_step_up: false,
      consent_return_error: '65001',
    },
  },
  consumers: {
    tid: CONSUMERS_TID,
    name: 'Microsoft Accounts',
    domains: ['outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'outlook.jp', 'hotmail.co.jp'],
    personal: true,
    settings: {},
  },
};

export const TENANT_BY_TID = Object.fromEntries(Object.entries(TENANTS).map(([key, t]) => [t.tid, { key, ...t }]));

const seq = (n) => Array.from({ length: n }, (_, i) => `t${String(i + 1).padStart(2, '0')}`);

function people(tenant, domain, locals, extra = {}) {
  return Object.fromEntries(locals.map((local) => [`${local}@${domain}`, {
    tenant,
    password: `${local}-entra-secret`,
    name: local.replace(/^./, (c) => c.toUpperCase()),
    ...(extra[local] || {}),
  }]));
}

export const USERS = {
  // bench: the benchmark's mailbox read through Graph (benches/sync.sh GRAPH=1), the same mail as
  // bench@example.test's
  ...people('contoso', 'contoso.test', ['admin', 'adele', 'megan', 'lee', 'diego', 'bench', ...seq(17)], {
    admin: { role: 'global-admin', name: 'Contoso Admin' },
    adele: { name: 'Adele Vance' },
  }),
  // A shared mailbox: its account exists but cannot sign in (sign-in blocked), as Exchange Online
  // creates them; members (Full Access) reach it with their own token. Sending as it is a separate
  // permission ("Send As", tests/rig/postfix/send-as.regexp.in): adele and megan have it, diego not.
  'info@contoso.test': {
    tenant: 'contoso', password: undefined, name: 'Contoso Info', disabled: true, shared: true,
    members: ['adele@contoso.test', 'megan@contoso.test', 'diego@contoso.test'],
    send_as: ['adele@contoso.test', 'megan@contoso.test'], // as tests/rig/postfix/send-as.regexp.in
  },
  // t09: the privacy test's (tests/privacy.rs) "MX only" kind of address
  ...people('fabrikam', 'fabrikam.test', ['admin', 'pat', ...seq(9)], { admin: { role: 'global-admin' } }),
  ...people('northwind', 'northwind.test', ['admin', 'nancy', 'andrew', ...seq(4)], { admin: { role: 'global-admin' } }),
  'sales@northwind.test': {
    tenant: 'northwind', password: undefined, name: 'Northwind Sales', disabled: true, shared: true,
    members: ['nancy@northwind.test'],
    send_as: ['nancy@northwind.test'],
  },
  ...people('adatum', 'adatum.test', ['admin', ...seq(4)], { admin: { role: 'global-admin' } }),
  ...people('consumers', 'outlook.com', seq(8)),
  ...people('consumers', 'hotmail.com', ['taro']),
};

export const EXCHANGE = 'https://outlook.office.com';
// Delegated permissions of "Office 365 Exchange Online" that mail clients use. highRisk: not
// user-consentable under "Let Microsoft manage your consent settings" (MC1163922).
export const EXCHANGE_SCOPES = {
  'https://outlook.office.com/IMAP.AccessAsUser.All': { highRisk: true },
  'https://outlook.office.com/POP.AccessAsUser.All': { highRisk: true },
  'https://outlook.office.com/EWS.AccessAsUser.All': { highRisk: true },
  'https://outlook.office.com/SMTP.Send': { highRisk: false },
};
// Delegated permissions of Microsoft Graph for mail ("Microsoft Graph permissions reference"):
// Mail.Send and Mail.Send.Shared stay user-consentable under Microsoft-managed consent; Mail.Read*
// and Mail.ReadWrite* do not (MC1163922). Each resource's scopes are named by its URI.
export const GRAPH = 'https://graph.microsoft.com';
for (const [name, highRisk] of [['Mail.Send', false], ['Mail.Send.Shared', false], ['User.Read', false],
  ['Mail.ReadBasic', true], ['Mail.Read', true], ['Mail.ReadWrite', true], ['Mail.Read.Shared', true],
  ['Mail.ReadWrite.Shared', true]]) {
  EXCHANGE_SCOPES[`${GRAPH}/${name}`] = { highRisk };
}
export const GRAPH_SCOPES = Object.keys(EXCHANGE_SCOPES).filter((s) => s.startsWith(`${GRAPH}/`));
/** The resource (audience) a delegated scope is for: its URI without the permission's name. */
export const resourceOf = (scope) => (EXCHANGE_SCOPES[scope] || scope.endsWith('/.default')
  ? scope.slice(0, scope.lastIndexOf('/')) : undefined);
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
export const MAIL_SCOPES = ['https://outlook.office.com/IMAP.AccessAsUser.All', 'https://outlook.office.com/SMTP.Send'];

// App registrations. redirects: as registered in Entra (a URI registered without a path has no
// trailing slash); audience: AzureADMyOrg | AzureADMultipleOrgs | AzureADandPersonalMicrosoftAccount.
export const APPS = {
  '7a3e0000-0000-4000-8000-00000000a001': {
    name: 'Tayori',
    audience: 'AzureADandPersonalMicrosoftAccount',
    redirects: ['http://localhost', 'http://127.0.0.1'],
    public_client_flows: true,
    publisher_verified: false,
    permissions: [...OIDC_SCOPES, ...MAIL_SCOPES, ...GRAPH_SCOPES],
  },
  // The same app as an admin who only used the portal's text box would register it: the portal
  // refuses http://127.0.0.1 there, so only http://localhost is registered.
  '7a3e0000-0000-4000-8000-00000000a002': {
    name: 'Tayori (localhost only)',
    audience: 'AzureADandPersonalMicrosoftAccount',
    redirects: ['http://localhost'],
    public_client_flows: true,
    publisher_verified: false,
    permissions: [...OIDC_SCOPES, ...MAIL_SCOPES, ...GRAPH_SCOPES],
  },
  // "Allow public client flows" off: the device authorization grant is refused (AADSTS7000218).
  '7a3e0000-0000-4000-8000-00000000a003': {
    name: 'Tayori (no public client flows)',
    audience: 'AzureADandPersonalMicrosoftAccount',
    redirects: ['http://localhost', 'http://127.0.0.1'],
    public_client_flows: false,
    publisher_verified: false,
    permissions: [...OIDC_SCOPES, ...MAIL_SCOPES, ...GRAPH_SCOPES],
  },
  // Contoso's own single-tenant registration, admin-consented in Contoso (see initialState).
  'c0c00000-0000-4000-8000-00000000a004': {
    name: 'Contoso Mail (Tayori)',
    audience: 'AzureADMyOrg',
    home_tenant: 'contoso',
    redirects: ['http://localhost', 'http://127.0.0.1'],
    public_client_flows: true,
    publisher_verified: false,
    permissions: [...OIDC_SCOPES, ...MAIL_SCOPES, ...GRAPH_SCOPES],
  },
};

export const TAYORI_APP = '7a3e0000-0000-4000-8000-00000000a001';
export const CONTOSO_APP = 'c0c00000-0000-4000-8000-00000000a004';

/** The mutable part of the directory, at first start (persisted in run/entra-state.json). */
export function initialState() {
  const tenants = {};
  for (const t of Object.values(TENANTS)) {
    tenants[t.tid] = { settings: { ...t.settings }, admin_grants: {}, consent_requests: [] };
  }
  tenants[TENANTS.contoso.tid].admin_grants[CONTOSO_APP] = {
    scopes: [...OIDC_SCOPES, ...MAIL_SCOPES], by: 'admin@contoso.test', at: 0,
  };
  return { tenants, user_grants: {}, users: {}, apps: {}, rules: [], seq: 1 };
}
