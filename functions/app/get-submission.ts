/** get-submission — GET /api/submissions/{id}: the record and its history (oldest first); 404 outside the caller's scope. */
import type { Principal } from '#domain/principal';
import type { Ports } from './ports';
import { loadVisible, view, type SubmissionView } from './submission-support';

export async function getSubmission(ports: Ports, principal: Principal, id: string): Promise<{ view: SubmissionView; version: number }> {
  const s = await loadVisible(ports, principal, id);
  const history = await ports.submissions.history(id);
  return { view: view(s, history), version: s.version };
}
