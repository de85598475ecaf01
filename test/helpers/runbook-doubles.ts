// Stand-ins for our own RunbookService where a test must not (or need not) start real runs.
import type { RunbookService } from '../../src/runbooks/runbook-service.js';

/** For apps whose tests never start a run: any call fails the test loudly. */
export const unusedRunbookService: RunbookService = {
  listRunbooks: () => Promise.reject(new Error('runbook service not expected in this test')),
  preflight: () => Promise.reject(new Error('runbook service not expected in this test')),
  startRun: () => Promise.reject(new Error('runbook service not expected in this test')),
  cancelRun: () => Promise.reject(new Error('runbook service not expected in this test')),
};

