// A real OpenID Connect provider (panva's certified oidc-provider) for the portal's
// single sign-on tests: the portal's client code is judged by a provider we did not write.
//
// Configuration, all from the environment:
//   PORT            the port on 127.0.0.1; 0 (the default) lets the system pick a free one
//   ISSUER          default http://127.0.0.1:<port> (an origin: the provider is not mounted
//                   under a path)
//   CLIENTS         JSON array of client metadata, registered at start
//   CLIENTS_FILE    a JSON file holding an array of client metadata, read on every lookup
//                   of a client that is not in CLIENTS, so a test can add clients while the
//                   provider runs (tests/sso/conftest.py's add_client)
//   ACCOUNTS        JSON object: sign-in name -> claims (email, name, given_name, ...)
//   ACCOUNTS_FILE   the same, in a file read on every sign-in (add_account)
//   ID_TOKEN_TTL    ID token lifetime in seconds (default 3600)
//   CONFORM_ID_TOKEN_CLAIMS=1  keep the scope claims (email, profile) out of the ID token,
//                   in the userinfo response only, as OIDC Core reads; by default they are
//                   in the ID token too, like most providers the portal meets.
//
// The sign-in page asks for a sign-in name, any password and whether a second factor
// was used; the ID token then carries amr ["pwd", "mfa"] and acr ACR_MFA, or amr ["pwd"]
// and acr ACR_PASSWORD. Consent is granted without a page. RP-initiated logout ends
// with a form that submits itself (a "Sign out" button without JavaScript).
// On ready it prints one line, "READY <issuer>", on stdout; everything else goes to stderr.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

// oidc-provider prints its notices with console.info: keep stdout for the READY line.
console.info = console.error; // eslint-disable-line no-console

const ACR_PASSWORD = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const ACR_MFA = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';

const port = Number(process.env.PORT || 0);
if (!Number.isInteger(port) || port < 0) {
  console.error('PORT must be a port number, or 0 for any free port');
  process.exit(2);
}
const idTokenTtl = Number(process.env.ID_TOKEN_TTL || 3600);

function readJson(text, fallback) {
  return text ? JSON.parse(text) : fallback;
}

function readJsonFile(path, fallback) {
  if (!path || !fs.existsSync(path)) return fallback;
  return readJson(fs.readFileSync(path, 'utf8'), fallback);
}

function findAccountClaims(login) {
  // The file first, so a test can change an account that the environment set up.
  const accounts = {
    ...readJson(process.env.ACCOUNTS, {}),
    ...readJsonFile(process.env.ACCOUNTS_FILE, {}),
  };
  return Object.hasOwn(accounts, login) ? accounts[login] : undefined;
}

// Clients added while the provider runs: oidc-provider asks the adapter's Client model
// for any client_id it was not configured with, and builds (and caches, by content)
// the client from what it returns. The other models stay in memory.
class Adapter extends MemoryAdapter {
  async find(id) {
    if (this.model === 'Client') {
      const clients = readJsonFile(process.env.CLIENTS_FILE, []);
      return clients.find((client) => client.client_id === id);
    }
    return super.find(id);
  }
}

function rsaSigningKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig',
  };
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`;
}

function loginPage(uid, { login = '', error = '' } = {}) {
  const alert = error ? `<p role="alert">${escapeHtml(error)}</p>` : '';
  return page('Sign in to the test provider', `${alert}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <p><label for="login">Sign-in name</label>
  <input id="login" name="login" type="text" value="${escapeHtml(login)}" required autofocus></p>
  <p><label for="password">Password</label>
  <input id="password" name="password" type="password"></p>
  <p><input id="mfa" name="mfa" type="checkbox" value="1">
  <label for="mfa">I used a second factor</label></p>
  <p><button type="submit">Sign in</button></p>
</form>`);
}

const configuration = {
  adapter: Adapter,
  clients: readJson(process.env.CLIENTS, []),
  jwks: { keys: [rsaSigningKey()] },
  cookies: {
    keys: [crypto.randomBytes(32).toString('hex')],
    // Lax rather than the default None: browsers drop SameSite=None cookies that are
    // not Secure, and this provider speaks plain HTTP on 127.0.0.1.
    long: { httpOnly: true, sameSite: 'lax', signed: true },
    short: { httpOnly: true, sameSite: 'lax', signed: true },
  },
  acrValues: [ACR_PASSWORD, ACR_MFA],
  // acr, amr and auth_time under the openid scope: every ID token says how the person
  // signed in (oidc-provider otherwise adds them only when a request asks for them).
  claims: {
    sid: null,
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username', 'locale', 'zoneinfo'],
  },
  conformIdTokenClaims: process.env.CONFORM_ID_TOKEN_CLAIMS === '1',
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // One form that submits itself, so logout needs no confirmation click.
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = page('Signing out', `${form.replace(
          '</form>',
          '<input type="hidden" name="logout" value="yes"><noscript><button type="submit">Sign out</button></noscript></form>',
        )}
<script>document.forms[0].submit();</script>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('Signed out', '<p>You are signed out of the test provider.</p>');
      },
    },
  },
  async findAccount(ctx, sub) {
    const claims = findAccountClaims(sub);
    if (!claims) return undefined;
    return { accountId: sub, async claims() { return { ...claims, sub }; } };
  },
  async renderError(ctx, out, error) {
    console.error('error page:', out, error?.message);
    ctx.type = 'html';
    ctx.body = page('Sign-in error', Object.entries(out)
      .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`)
      .join('\n'));
  },
  pkce: { required: () => true },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    Grant: 3600,
    IdToken: idTokenTtl,
    Interaction: 3600,
    RefreshToken: 3600,
    Session: 3600,
  },
};

// Made once the server listens, when the port (and so the issuer) is known.
let provider;
let providerCallback;

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

// Grant what the client asked for, as a first-party provider does without a consent page.
async function grantConsent(req, res, details) {
  const { prompt: { details: missing }, params, session } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, page('Sign-in error', '<p>This sign-in page is out of date.</p>'));
    return;
  }
  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'login') {
      send(res, 200, loginPage(uid));
    } else {
      await grantConsent(req, res, details);
    }
    return;
  }
  if (req.method === 'POST' && action === 'login' && details.prompt.name === 'login') {
    const form = await readForm(req);
    const login = (form.get('login') || '').trim();
    if (!findAccountClaims(login)) {
      send(res, 200, loginPage(uid, { login, error: 'We do not know that sign-in name.' }));
      return;
    }
    const mfa = form.has('mfa');
    await provider.interactionFinished(req, res, {
      login: { accountId: login, amr: mfa ? ['pwd', 'mfa'] : ['pwd'], acr: mfa ? ACR_MFA : ACR_PASSWORD },
    }, { mergeWithLastSubmission: false });
    return;
  }
  send(res, 405, page('Sign-in error', '<p>Not allowed here.</p>'));
}

const server = http.createServer(async (req, res) => {
  const match = /^\/interaction\/([^/?]+)(?:\/(login))?(?:\?.*)?$/.exec(req.url);
  if (!match) {
    providerCallback(req, res);
    return;
  }
  try {
    await interaction(req, res, match[1], match[2]);
  } catch (error) {
    console.error('interaction failed:', error);
    if (!res.headersSent) {
      send(res, 400, page('Sign-in error', `<p>${escapeHtml(error.message)}</p>`));
    }
  }
});

server.listen(port, '127.0.0.1', () => {
  const issuer = (process.env.ISSUER || `http://127.0.0.1:${server.address().port}`).replace(/\/$/, '');
  provider = new Provider(issuer, configuration);
  providerCallback = provider.callback();
  process.stdout.write(`READY ${issuer}\n`);
});

// End with the test run even when it could not stop us (killed, not interrupted).
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) process.exit(0);
}, 1000).unref();

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
