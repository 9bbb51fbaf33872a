import { administerSubmission } from '#app/administer-submission';
import { createAttachment as create } from '#app/create-attachment';
import { getAttachment as read } from '#app/get-attachment';
import { getSubmission } from '#app/get-submission';
import { listReviewQueue } from '#app/list-review-queue';
import { listSubmissions } from '#app/list-submissions';
import { reviewSubmission } from '#app/review-submission';
import { saveSubmission } from '#app/save-submission';
import { submitSubmission } from '#app/submit-submission';
import { etag, parseIfMatch, view } from '#app/submission-support';
import type { Submission } from '#app/ports';
import { DomainError } from '#domain/errors';
import { endpoint } from '../wrap';

const withEtag = (s: Submission) => ({ ETag: etag(s) });

export const put = endpoint('submissions', 'put', async ({ ports, principal, params, query, headers, body }) => {
  const submit = query.submit;
  if (submit !== undefined && submit !== 'true' && submit !== 'false') throw new DomainError('request.bad-parameter', 'submit is true or false');
  const r = await saveSubmission(ports, principal, { id: params.id!, body, ifMatch: parseIfMatch(headers), submit: submit === 'true' });
  return { status: r.status, body: view(r.submission), headers: withEtag(r.submission) };
});

export const get = endpoint('submissions', 'get', async ({ ports, principal, params }) => {
  const r = await getSubmission(ports, principal, params.id!);
  return { status: 200, body: r.view, headers: { ETag: `"${r.version}"` } };
});

export const list = endpoint('submissions', 'list', async ({ ports, principal, query }) => ({ status: 200, body: await listSubmissions(ports, principal, query) }));

export const reviewQueue = endpoint('submissions', 'reviewQueue', async ({ ports, principal, query }) => ({
  status: 200,
  body: await listReviewQueue(ports, principal, query),
}));

export const submit = endpoint('submissions', 'submit', async ({ ports, principal, params, headers, body }) => {
  const s = await submitSubmission(ports, principal, { id: params.id!, ifMatch: parseIfMatch(headers), body });
  return { status: 200, body: view(s), headers: withEtag(s) };
});

export const review = endpoint('submissions', 'review', async ({ ports, principal, params, headers, body }) => {
  const s = await reviewSubmission(ports, principal, { id: params.id!, ifMatch: parseIfMatch(headers), body });
  return { status: 200, body: view(s), headers: withEtag(s) };
});

export const adminAction = endpoint('submissions', 'adminAction', async ({ ports, principal, params, headers, body }) => {
  const s = await administerSubmission(ports, principal, { id: params.id!, ifMatch: parseIfMatch(headers), body });
  return { status: 200, body: view(s), headers: withEtag(s) };
});

export const createAttachment = endpoint('submissions', 'createAttachment', async ({ ports, principal, params, body }) => ({
  status: 201,
  body: await create(ports, principal, { id: params.id!, body }),
}));

export const getAttachment = endpoint('submissions', 'getAttachment', async ({ ports, principal, params }) => ({
  status: 200,
  body: await read(ports, principal, { id: params.id!, attachmentId: params.attachmentId! }),
}));
