// Platform capabilities: the registry, and the checks every surface uses.

export const capabilities = {
  opsView: 'platform.ops.view',
  runbooksView: 'platform.runbooks.view',
  runbooksRun: 'platform.runbooks.run',
  findingsLifecycleBackfill: 'platform.runbooks.findings.lifecycle_backfill',
} as const;

export type Capability = (typeof capabilities)[keyof typeof capabilities];
export const allCapabilities: readonly Capability[] = Object.values(capabilities);

export function hasCapability(granted: readonly string[], needed: Capability): boolean {
  return granted.includes(needed);
}

export function hasAllCapabilities(granted: readonly string[], needed: readonly Capability[]): boolean {
  return needed.every((capability) => granted.includes(capability));
}
