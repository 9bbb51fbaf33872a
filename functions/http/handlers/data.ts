/** Data in and out: exports, bulk imports and templates, region and target imports, target history, the briefing, the deadline. */
import { attestTarget as attest } from '#app/attest-target';
import { commitImport as commit } from '#app/commit-import';
import { createImportUpload } from '#app/create-import-upload';
import { getBriefing as briefing } from '#app/get-briefing';
import { getDeadline as readDeadline } from '#app/get-deadline';
import { getExport as readExport } from '#app/get-export';
import { getImport as readImport } from '#app/get-import';
import { getImportTemplate } from '#app/get-import-template';
import { importRegions as planRegions } from '#app/import-regions';
import { importTargets as planTargets } from '#app/import-targets';
import { listTargetHistory } from '#app/list-target-history';
import { setDeadline as writeDeadline } from '#app/set-deadline';
import { startExport } from '#app/start-export';
import { startImport } from '#app/start-import';
import { endpoint } from '../wrap';

export const createExport = endpoint('data', 'createExport', async ({ ports, principal, body }) => ({ status: 202, body: await startExport(ports, principal, body) }));

export const getExport = endpoint('data', 'getExport', async ({ ports, principal, params }) => ({ status: 200, body: await readExport(ports, principal, params.id!) }));

export const getTemplate = endpoint('data', 'getTemplate', async ({ ports, principal, params, query }) => ({
  status: 200,
  body: await getImportTemplate(ports, principal, params.formId!, query),
}));

export const createUpload = endpoint('data', 'createUpload', async ({ ports, principal, body }) => ({ status: 201, body: await createImportUpload(ports, principal, body) }));

export const createImport = endpoint('data', 'createImport', async ({ ports, principal, body }) => ({ status: 202, body: await startImport(ports, principal, body) }));

export const getImport = endpoint('data', 'getImport', async ({ ports, principal, params }) => ({ status: 200, body: await readImport(ports, principal, params.id!) }));

export const commitImport = endpoint('data', 'commitImport', async ({ ports, principal, params }) => ({ status: 202, body: await commit(ports, principal, params.id!) }));

export const importRegions = endpoint('data', 'importRegions', async ({ ports, principal, body, query }) => ({ status: 200, body: await planRegions(ports, principal, body, query) }));

export const importTargets = endpoint('data', 'importTargets', async ({ ports, principal, body, query }) => ({ status: 200, body: await planTargets(ports, principal, body, query) }));

export const targetHistory = endpoint('data', 'targetHistory', async ({ ports, principal, query }) => ({ status: 200, body: await listTargetHistory(ports, principal, query) }));

export const attestTarget = endpoint('data', 'attestTarget', async ({ ports, principal, body }) => ({ status: 200, body: await attest(ports, principal, body) }));

export const getBriefing = endpoint('data', 'getBriefing', async ({ ports, principal, query }) => ({ status: 200, body: await briefing(ports, principal, query) }));

export const getDeadline = endpoint('data', 'getDeadline', async ({ ports }) => ({ status: 200, body: await readDeadline(ports) }));

export const setDeadline = endpoint('data', 'setDeadline', async ({ ports, principal, body }) => ({ status: 200, body: await writeDeadline(ports, principal, body) }));
