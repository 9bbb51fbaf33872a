/**
 * The port conformance suite on the AWS set: DynamoDB Local (in memory, Java 17+), the S3 emulator and the Lambda
 * Invoke emulator running the job function.
 *
 * Uploads: s3rver ignores POST policies, so a refusal cannot be observed there. The policy is what S3 enforces, so the
 * suite decodes the policy the adapter signed and judges the POST by S3's rules with the same evaluator the embedded
 * upload endpoint runs (functions/adapters/files/post-policy.ts); an accepted POST is also sent to the emulator.
 */
import { decodeS3Policy, evaluatePolicy } from '../../functions/adapters/files/post-policy';
import { portConformance } from './suite';

portConformance({
  store: 'dynamodb',
  judgeUpload: () => async (grant, file, at) => {
    const fields = { ...grant.fields, 'Content-Type': file.contentType, ...(file.fields ?? {}) };
    const verdict = evaluatePolicy(decodeS3Policy(grant.fields), { fields, fileSize: file.bytes.length }, at ?? new Date());
    if (!verdict.ok) return false;
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.contentType }), 'photo.jpg');
    const res = await fetch(grant.url, { method: 'POST', body: form });
    if (res.status >= 300) throw new Error(`the emulator refused an upload the policy allows: ${res.status}`);
    return true;
  },
});
