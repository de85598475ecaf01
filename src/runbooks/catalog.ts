// The runbook catalog. Adding a runbook = writing its module and listing it here.
import { NotFoundError } from '../errors.js';
import { findingsLifecycleRunbook } from './findings-lifecycle/findings-lifecycle.runbook.js';
import type { RunbookDefinition } from './runbook.js';

export const runbookCatalog: readonly RunbookDefinition[] = [findingsLifecycleRunbook];

/** Runbooks that the deploy hook runs on every release, on all tenants. */
export const deployRunbookKeys: readonly string[] = [findingsLifecycleRunbook.key];

export function findRunbook(key: string): RunbookDefinition | undefined {
  return runbookCatalog.find((runbook) => runbook.key === key);
}

export function getRunbook(key: string): RunbookDefinition {
  const runbook = findRunbook(key);
  if (!runbook) throw new NotFoundError(`Unknown runbook "${String(key).slice(0, 100)}".`);
  return runbook;
}
