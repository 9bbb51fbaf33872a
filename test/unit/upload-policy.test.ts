/**
 * The presigned POST policy is our only guard on uploads (the local emulator ignores policies), so it is checked here:
 * decode the policy that the real presigner produces and assert size range, exact content type and exact key.
 */
import { describe, expect, it } from 'vitest';
import { S3Client } from '@aws-sdk/client-s3';
import { S3FileStore, uploadConditions } from '../../functions/adapters/s3/files';

const s3 = new S3Client({ region: 'cn-north-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
const store = new S3FileStore(s3, 'census-bucket');
const KEY = 'attachments/3f2b8c1e-1a2b-4c3d-8e4f-5a6b7c8d9e0f/11111111-2222-4333-8444-555555555555';

describe('upload policy', () => {
  it('conditions pin size, type and key', () => {
    expect(uploadConditions(KEY, 'image/jpeg', 5_000_000)).toEqual([
      ['content-length-range', 1, 5_000_000],
      ['eq', '$Content-Type', 'image/jpeg'],
      ['eq', '$key', KEY],
    ]);
  });

  it('the signed policy carries exactly those limits and expires within 15 minutes', async () => {
    const grant = await store.presignUpload(KEY, 'image/jpeg', 2_000_000, { field: 'photos', 'file-name': '东墙.jpg' });
    expect(grant.url).toContain('census-bucket');
    expect(grant.fields.key).toBe(KEY);
    expect(grant.fields['Content-Type']).toBe('image/jpeg');
    const policy = JSON.parse(Buffer.from(grant.fields.Policy!, 'base64').toString('utf8'));
    const conds = policy.conditions as unknown[];
    expect(conds).toContainEqual(['content-length-range', 1, 2_000_000]);
    expect(conds).toContainEqual(['eq', '$Content-Type', 'image/jpeg']);
    expect(conds).toContainEqual(['eq', '$key', KEY]);
    expect(conds).toContainEqual({ bucket: 'census-bucket' });
    // No starts-with wildcard that would let a client choose another key or type.
    expect(conds.filter((c) => Array.isArray(c) && c[0] === 'starts-with')).toEqual([]);
    const expiresIn = new Date(policy.expiration).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(0);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60 * 1000 + 1000);
    // User file names travel as metadata only, never in the key.
    expect(grant.fields['x-amz-meta-file-name']).toBe(encodeURIComponent('东墙.jpg'));
    expect(grant.fields.key).not.toContain('东墙');
  });
});
