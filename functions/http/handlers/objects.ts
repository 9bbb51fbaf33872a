/** Survey objects (manage-objects.ts) and region boundaries (manage-boundaries.ts). */
import { getBoundaries as readBoundaries, putBoundaries as writeBoundaries } from '#app/manage-boundaries';
import { assignObjects, commitObjectImport, createObject as create, getObject as read, getObjectImport, listObjects as list, previewObjectImport, setObjectStatus } from '#app/manage-objects';
import { parseIfMatch } from '#app/submission-support';
import { endpoint } from '../wrap';

const etag = (version: number) => ({ ETag: `"${version}"` });

export const listObjects = endpoint('objects', 'listObjects', async ({ ports, principal, query }) => ({ status: 200, body: await list(ports, principal, query) }));

export const getObject = endpoint('objects', 'getObject', async ({ ports, principal, params }) => {
  const o = await read(ports, principal, params.id!);
  return { status: 200, body: o, headers: etag(o.version) };
});

export const createObject = endpoint('objects', 'createObject', async ({ ports, principal, body }) => {
  const o = await create(ports, principal, body);
  return { status: 201, body: o, headers: etag(o.version) };
});

export const setStatus = endpoint('objects', 'setStatus', async ({ ports, principal, params, headers, body }) => {
  const o = await setObjectStatus(ports, principal, params.id!, parseIfMatch(headers), body);
  return { status: 200, body: o, headers: etag(o.version) };
});

export const assign = endpoint('objects', 'assign', async ({ ports, principal, body }) => ({ status: 200, body: await assignObjects(ports, principal, body) }));

export const previewImport = endpoint('objects', 'previewImport', async ({ ports, principal, body, query, headers }) => ({
  status: 200,
  body: await previewObjectImport(ports, principal, query.formId, body, headers['content-type']),
}));

export const getImport = endpoint('objects', 'getImport', async ({ ports, principal, params }) => ({ status: 200, body: await getObjectImport(ports, principal, params.id!) }));

/** 200 with the result once every row is written; 202 with the progress while a long list is still being written (send it again). */
export const commitImport = endpoint('objects', 'commitImport', async ({ ports, principal, params }) => {
  const r = await commitObjectImport(ports, principal, params.id!);
  return r.done ? { status: 200, body: r.result } : { status: 202, body: r.progress };
});

export const putBoundaries = endpoint('objects', 'putBoundaries', async ({ ports, principal, body }) => ({ status: 200, body: await writeBoundaries(ports, principal, body) }));

export const getBoundaries = endpoint('objects', 'getBoundaries', async ({ ports, principal, query }) => ({ status: 200, body: await readBoundaries(ports, principal, query.level) }));
