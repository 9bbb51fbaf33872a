/**
 * Sign-in for both modes. Local mode: username + password against /api/auth/login. AWS: Cognito managed login with the
 * authorization-code flow and PKCE (no client secret in the SPA), token refresh before expiry, and sign-out at Cognito.
 * Either way the API sees a bearer token; authorization comes from our Members table, never from token attributes.
 */
import { config, type AppConfig } from './config';
import { session } from './session.svelte';

const PKCE_KEY = 'risk-census.pkce';
const REFRESH_KEY = 'risk-census.refresh';

function b64url(bytes: ArrayBuffer | Uint8Array): string {
  const arr = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (const b of arr) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes = 32): string {
  return b64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function callbackUrl(): string {
  return `${location.origin}/auth/callback`;
}

/** Start the managed login: remember a PKCE verifier and state, then leave for Cognito. */
export async function startCognitoLogin(next: string): Promise<void> {
  const cfg = await config();
  if (cfg.authMode !== 'cognito' || !cfg.cognitoDomain || !cfg.clientId) throw new Error('Cognito is not configured');
  const verifier = randomString(48);
  const state = randomString(16);
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, next }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: cfg.clientId,
    redirect_uri: callbackUrl(),
    scope: 'openid email profile',
    state,
    code_challenge_method: 'S256',
    code_challenge: challenge,
  });
  location.assign(`${cfg.cognitoDomain}/oauth2/authorize?${q}`);
}

interface TokenResponse {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  expires_in: number;
}

async function tokenRequest(cfg: AppConfig, body: Record<string, string>): Promise<TokenResponse> {
  const res = await fetch(`${cfg.cognitoDomain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: cfg.clientId!, ...body }),
  });
  if (!res.ok) throw new Error(`token endpoint answered ${res.status}`);
  return (await res.json()) as TokenResponse;
}

function store(t: TokenResponse) {
  session.signIn(t.access_token, new Date(Date.now() + t.expires_in * 1000).toISOString());
  if (t.refresh_token) localStorage.setItem(REFRESH_KEY, t.refresh_token);
  scheduleRefresh(t.expires_in);
}

/** Finish the managed login on /auth/callback: check state, exchange the code with the verifier. Returns where to go. */
export async function completeCognitoLogin(url: URL): Promise<string> {
  const cfg = await config();
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? 'null') as { verifier: string; state: string; next: string } | null;
  sessionStorage.removeItem(PKCE_KEY);
  const code = url.searchParams.get('code');
  if (!saved || !code || url.searchParams.get('state') !== saved.state) throw new Error('The sign-in could not be verified; please try again');
  store(await tokenRequest(cfg, { grant_type: 'authorization_code', code, redirect_uri: callbackUrl(), code_verifier: saved.verifier }));
  return saved.next && saved.next.startsWith('/') && !saved.next.startsWith('//') ? saved.next : '/';
}

let timer: ReturnType<typeof setTimeout> | undefined;

/** Refresh the access token a minute before it expires (Cognito mode only). */
function scheduleRefresh(expiresIn: number) {
  clearTimeout(timer);
  timer = setTimeout(() => void refresh(), Math.max(5, expiresIn - 60) * 1000);
}

export async function refresh(): Promise<boolean> {
  const cfg = await config();
  const token = localStorage.getItem(REFRESH_KEY);
  if (cfg.authMode !== 'cognito' || !token) return false;
  try {
    store({ ...(await tokenRequest(cfg, { grant_type: 'refresh_token', refresh_token: token })), refresh_token: token });
    return true;
  } catch {
    return false;
  }
}

/** On start-up in Cognito mode: refresh an expired session silently when a refresh token is kept. */
export async function resumeSession(): Promise<void> {
  const cfg = await config();
  if (cfg.authMode !== 'cognito') return;
  const c = session.current;
  if (c && !session.token) await refresh();
  else if (c) scheduleRefresh(Math.max(0, (new Date(c.expiresAt).getTime() - Date.now()) / 1000));
}

export async function signOut(): Promise<void> {
  const cfg = await config();
  clearTimeout(timer);
  session.signOut();
  localStorage.removeItem(REFRESH_KEY);
  if (cfg.authMode === 'cognito' && cfg.cognitoDomain && cfg.clientId) {
    const q = new URLSearchParams({ client_id: cfg.clientId, logout_uri: `${location.origin}/login` });
    location.assign(`${cfg.cognitoDomain}/logout?${q}`);
  }
}
