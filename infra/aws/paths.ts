import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (infra/aws/../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FUNCTIONS_DIR = join(REPO_ROOT, 'functions');
export const HANDLERS_DIR = join(FUNCTIONS_DIR, 'http', 'handlers');
/** The built SPA (`web/build`, produced by the web app build and git-ignored). */
export const WEB_BUILD_DIR = join(REPO_ROOT, 'web', 'build');
