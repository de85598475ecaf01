// The signed-in user as both planes keep it in the session and hand it to AdminJS as `currentAdmin`.
// It is embedded in every page, so it holds nothing secret: ids, email, name, capabilities.

export type PlaneName = 'admin' | 'system';

export interface PlaneUser {
  plane: PlaneName;
  id: number;
  email: string;
  title: string;
  /** Operator capabilities (empty for customers). */
  capabilities: string[];
  /** The customer's workspace (null for operators). */
  workspaceId: number | null;
  [key: string]: unknown;
}

export function isPlaneUserOf(value: unknown, plane: PlaneName): value is PlaneUser {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<PlaneUser>;
  return candidate.plane === plane && typeof candidate.id === 'number' && typeof candidate.email === 'string';
}
