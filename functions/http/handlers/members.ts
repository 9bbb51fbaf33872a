/** Members and accounts: the office's own people (manage-members.ts) and their bulk import (member-import.ts). */
import { createMember as create, getMember as readMember, handOver as handOverRecords, listMembers as readMembers, memberDrift, resetPassword as reset, updateMember as update } from '#app/manage-members';
import { commitMemberImport, getMemberImport, startMemberImport, takeSlips } from '#app/member-import';
import { endpoint } from '../wrap';

const etag = (version: number) => ({ ETag: `"${version}"` });

export const listMembers = endpoint('members', 'listMembers', async ({ ports, principal }) => ({ status: 200, body: await readMembers(ports, principal) }));

export const createMember = endpoint('members', 'createMember', async ({ ports, principal, body }) => {
  const r = await create(ports, principal, body);
  return { status: 201, body: { member: r.member, ...(r.temporaryPassword ? { temporaryPassword: r.temporaryPassword } : {}) }, headers: etag(r.member.version) };
});

export const drift = endpoint('members', 'drift', async ({ ports, principal }) => ({ status: 200, body: await memberDrift(ports, principal) }));

export const getMember = endpoint('members', 'getMember', async ({ ports, principal, params }) => {
  const m = await readMember(ports, principal, params.userId!);
  return { status: 200, body: m, headers: etag(m.version) };
});

export const updateMember = endpoint('members', 'updateMember', async ({ ports, principal, params, headers, body }) => {
  const m = await update(ports, principal, params.userId!, headers['if-match'], body);
  return { status: 200, body: m, headers: etag(m.version) };
});

export const resetPassword = endpoint('members', 'resetPassword', async ({ ports, principal, params }) => ({ status: 200, body: await reset(ports, principal, params.userId!) }));

export const handOver = endpoint('members', 'handOver', async ({ ports, principal, params, body }) => ({ status: 200, body: await handOverRecords(ports, principal, params.userId!, body) }));

export const startImport = endpoint('members', 'startImport', async ({ ports, principal, body }) => ({ status: 202, body: await startMemberImport(ports, principal, body) }));

export const getImport = endpoint('members', 'getImport', async ({ ports, principal, params }) => ({ status: 200, body: await getMemberImport(ports, principal, params.id!) }));

export const commitImport = endpoint('members', 'commitImport', async ({ ports, principal, params }) => ({ status: 202, body: await commitMemberImport(ports, principal, params.id!) }));

export const getSlips = endpoint('members', 'getSlips', async ({ ports, principal, params }) => ({ status: 200, body: await takeSlips(ports, principal, params.id!) }));
