/** get-attachment — GET /api/submissions/{id}/attachments/{attachmentId}: a short-lived download link for someone who can read the submission. */
import { DomainError } from '#domain/errors';
import { isUuid } from '#domain/identifiers';
import type { Principal } from '#domain/principal';
import { attachmentKey, type Ports } from './ports';
import { loadVisible, referencedAttachments } from './submission-support';

export async function getAttachment(ports: Ports, principal: Principal, input: { id: string; attachmentId: string }): Promise<{ url: string }> {
  if (!isUuid(input.attachmentId)) throw new DomainError('resource.not-found', 'No such attachment');
  const s = await loadVisible(ports, principal, input.id);
  const form = await ports.directory.formVersion(s.formId, s.formVersion);
  const referenced = form ? referencedAttachments(form, s.data).some((r) => r.id === input.attachmentId) : false;
  const key = attachmentKey(s.id, input.attachmentId);
  if (!referenced || !(await ports.files.exists(key))) throw new DomainError('resource.not-found', 'No such attachment');
  return { url: await ports.files.presignDownload(key) };
}
