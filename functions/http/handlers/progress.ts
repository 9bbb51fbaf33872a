import { getProgress as read } from '#app/get-progress';
import { getProgressHistory as readHistory } from '#app/get-progress-history';
import { listTargets as readTargets } from '#app/list-targets';
import { putTargets as write } from '#app/put-targets';
import { reconcileProgress } from '#app/reconcile-progress';
import { endpoint } from '../wrap';

export const getProgress = endpoint('progress', 'getProgress', async ({ ports, principal, query }) => ({ status: 200, body: await read(ports, principal, query) }));

export const putTargets = endpoint('progress', 'putTargets', async ({ ports, principal, body }) => ({ status: 200, body: await write(ports, principal, body) }));

export const reconcile = endpoint('progress', 'reconcile', async ({ ports, principal, body }) => ({ status: 200, body: await reconcileProgress(ports, principal, body) }));

export const getProgressHistory = endpoint('progress', 'getProgressHistory', async ({ ports, principal, query }) => ({
  status: 200,
  body: await readHistory(ports, principal, query),
}));

export const listTargets = endpoint('progress', 'listTargets', async ({ ports, principal, query }) => ({ status: 200, body: await readTargets(ports, principal, query) }));
