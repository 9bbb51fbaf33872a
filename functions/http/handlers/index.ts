/** Every handler module by name, for the local server (Lambda bundles each module on its own). */
import * as auth from './auth';
import * as data from './data';
import * as forms from './forms';
import * as health from './health';
import * as members from './members';
import * as objects from './objects';
import * as progress from './progress';
import * as reference from './reference';
import * as submissions from './submissions';
import type { Handler } from '../types';

export const HANDLERS: Record<string, Record<string, Handler>> = { auth, data, forms, health, members, objects, progress, reference, submissions } as never;
