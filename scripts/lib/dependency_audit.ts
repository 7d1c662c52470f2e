// `npm audit` of what ships (production dependencies of the worker and the web app), high severity and
// up. The registry's audit endpoint is not reachable from every network (some proxies refuse its POST):
// then the audit is reported as skipped, never passed.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
export const AUDITED = [
  { name: 'worker', dir: ROOT },
  { name: 'web app', dir: resolve(ROOT, 'frontend') },
];
/** Advisories at or above this severity fail the audit; each one left must be explained in the README. */
const FAIL_AT = ['high', 'critical'];

export class AuditError extends Error {
  override name = 'AuditError';
}

interface AuditReport {
  vulnerabilities?: Record<string, { severity: string; via: unknown[] }>;
  /** Present when npm could not ask the registry. */
  error?: { summary?: string };
  statusCode?: number;
  message?: string;
}

/** The result for one package tree: "clean", "skipped: …", or throws AuditError naming what is vulnerable. */
export async function auditDependencies(dir: string): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run('npm', ['audit', '--omit=dev', '--json'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    // npm audit exits non-zero both when it finds something and when it cannot ask the registry.
    stdout = (err as { stdout?: string }).stdout ?? '';
  }
  let report: AuditReport;
  try {
    report = JSON.parse(stdout) as AuditReport;
  } catch {
    return 'skipped: npm audit gave no report';
  }
  if (!report.vulnerabilities) {
    const why = report.message ?? report.error?.summary ?? 'no report';
    return `skipped: the registry's audit endpoint did not answer (${why.split(' - ')[0]})`;
  }
  const serious = Object.entries(report.vulnerabilities).filter(([, v]) => FAIL_AT.includes(v.severity));
  if (serious.length > 0) {
    const list = serious.map(([name, v]) => `${name} (${v.severity})`).join(', ');
    throw new AuditError(`npm audit in ${dir}: ${list}; update them or explain each in the README's Security section`);
  }
  return `clean of ${FAIL_AT.join('/')} advisories (${Object.keys(report.vulnerabilities).length} lower)`;
}
