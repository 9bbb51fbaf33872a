/**
 * The port conformance suite on the embedded set: SQLite (WAL, synchronous=FULL), files under DATA_DIR, the
 * in-process job queue. Uploads are judged by the real local upload endpoint; an expired grant by the same adapter
 * code with its clock moved past the expiry.
 */
import { join } from 'node:path';
import { LocalFileStore, loadFileSecret } from '../../functions/adapters/files/local-files';
import { portConformance } from './suite';

portConformance({
  store: 'embedded',
  judgeUpload: (stack) => async (grant, file, at) => {
    const fields = { ...grant.fields, 'Content-Type': file.contentType, ...(file.fields ?? {}) };
    if (at) {
      const store = new LocalFileStore({ root: join(stack.dataDir, 'files'), secret: loadFileSecret(join(stack.dataDir, 'keys', 'files-secret')), now: () => at });
      return (await store.acceptUpload({ fields, file: { bytes: file.bytes, contentType: file.contentType } })).ok;
    }
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.contentType }), 'photo.jpg');
    const res = await fetch(new URL(grant.url, stack.url), { method: 'POST', body: form });
    if (res.status >= 500) throw new Error(`upload endpoint failed: ${res.status}`);
    return res.status < 300;
  },
});
