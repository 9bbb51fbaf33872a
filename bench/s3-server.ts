/**
 * The S3 emulator in a process of its own, for the benchmarked server: on AWS, S3 is not in the function's memory, so
 * the emulator (which holds multipart uploads in memory) must not be counted in the server's (item 5). Prints
 * `READY <endpoint>` and stops when its stdin closes.
 */
import { startS3Local } from '../infra/local/s3-local';
import { BUCKET } from './stack';

const dir = process.argv[2];
if (!dir) throw new Error('usage: s3-server.ts <directory>');
const s3 = await startS3Local({ port: 0, directory: dir, bucket: BUCKET });
process.stdout.write(`READY ${s3.endpoint}\n`);
const close = async () => {
  await s3.stop().catch(() => {});
  process.exit(0);
};
process.stdin.on('end', close);
process.stdin.on('close', close);
process.stdin.resume();
