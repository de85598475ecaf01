// Job payloads arrive as untyped JSON: parsed once here into the shapes the handlers use.

function positiveId(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null;
}

export function parseRunJob(data: unknown): { runId: number } | null {
  const runId = positiveId((data as { runId?: unknown } | null)?.runId);
  return runId === null ? null : { runId };
}

export function parseTenantJob(data: unknown): { runId: number; itemId: number } | null {
  const record = data as { runId?: unknown; itemId?: unknown } | null;
  const runId = positiveId(record?.runId);
  const itemId = positiveId(record?.itemId);
  return runId === null || itemId === null ? null : { runId, itemId };
}
