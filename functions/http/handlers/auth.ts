import { describeMe } from '#app/read-reference';
import { logIn } from '#app/log-in';
import { changeOwnPassword } from '#app/manage-members';
import { localKeys, type LocalKeys } from '#adapters/identity/local';
import { DomainError } from '#domain/errors';
import { endpoint } from '../wrap';

let keys: { file: string; keys: Promise<LocalKeys> } | undefined;

/** Local mode signs its own tokens with the key pair under DATA_DIR (LOCAL_KEYS_FILE). */
export function localSigningKeys(): Promise<LocalKeys> {
  const file = process.env.LOCAL_KEYS_FILE;
  if (!file) throw new DomainError('route.not-found', 'Password login exists in local mode only');
  if (keys?.file !== file) keys = { file, keys: localKeys(file) };
  return keys.keys;
}

export const login = endpoint('auth', 'login', async ({ ports, body }) => ({ status: 200, body: await logIn(ports, await localSigningKeys(), body) }));

export const me = endpoint('auth', 'me', async ({ principal }) => ({ status: 200, body: describeMe(principal) }));

export const changePassword = endpoint('auth', 'changePassword', async ({ ports, principal, body, session }) => {
  await changeOwnPassword(ports, principal, body, session);
  return { status: 204 };
});
