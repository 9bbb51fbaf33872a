/**
 * The ports handlers run with, built once per process. On Lambda nothing installs them, so the first request builds
 * the AWS set from the environment (aws-ports.ts, loaded on first use so the local server's default path never loads
 * the AWS SDK). The local server installs its adapter set — embedded or AWS — with `setPorts` before it listens.
 */
import type { Ports } from '#app/ports';

let ports: Ports | undefined;
let building: Promise<Ports> | undefined;

export async function getPorts(): Promise<Ports> {
  if (ports) return ports;
  building ??= import('./aws-ports').then((m) => (ports ??= m.portsFromEnv()));
  return building;
}

/** The installed ports, or an error when none are installed yet (for code that runs after start-up). */
export function installedPorts(): Ports {
  if (!ports) throw new Error('No ports are installed');
  return ports;
}

/** The local server (and tests) install ports explicitly. */
export function setPorts(p: Ports | undefined): void {
  ports = p;
  building = undefined;
}
