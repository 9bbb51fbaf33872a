import { endpoint } from '../wrap';

export const health = endpoint('health', 'health', async () => ({ status: 200, body: { ok: true } }));
