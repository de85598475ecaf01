// Which URL of a plane is which AdminJS surface, and who may use it: one table per plane, deny by default.
// AdminJS answers a forbidden action with HTTP 200 and a notice, and an unknown resource with 500; this guard
// runs before its router and answers 403 / 404 itself. A route missing from the table is a 404.
import { hasCapability, type Capability } from '../auth/capabilities.js';

export type HttpMethod = 'GET' | 'POST';

export type PlaneRoute =
  | { kind: 'public' }
  | { kind: 'dashboard' }
  | { kind: 'page'; page: string }
  | { kind: 'resource'; resourceId: string; action: string }
  | { kind: 'record'; resourceId: string; action: string; recordId: string }
  | { kind: 'bulk'; resourceId: string; action: string }
  | { kind: 'other'; path: string };

export interface ActionRule {
  kind: 'resource' | 'record' | 'bulk';
  /** Needed on top of the resource's capability; null: the resource's rule is enough. */
  capability: Capability | null;
  /** POST only where the action changes something. */
  methods: readonly HttpMethod[];
}

export interface ResourceRule {
  /** Needed for every action of the resource; null: any signed-in user of the plane. */
  capability: Capability | null;
  actions: Record<string, ActionRule>;
}

export interface CustomRouteRule {
  method: HttpMethod;
  pattern: RegExp;
  capability: Capability | null;
}

export interface PlanePolicy {
  /** The dashboard: null means every signed-in user of the plane. */
  dashboard: Capability | null;
  pages: Record<string, Capability | null>;
  resources: Record<string, ResourceRule>;
  custom: readonly CustomRouteRule[];
}

export type AccessDecision = { allow: true } | { allow: false; status: 403 | 404; reason: string };

export const readOnlyActions: Record<string, ActionRule> = {
  list: { kind: 'resource', capability: null, methods: ['GET'] },
  search: { kind: 'resource', capability: null, methods: ['GET'] },
  show: { kind: 'record', capability: null, methods: ['GET'] },
};

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Maps a path inside a plane (e.g. `/api/resources/findings/records/7/show`) to the surface it reaches. Null: malformed. */
export function classifyPlanePath(path: string): PlaneRoute | null {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (trimmed === '' || trimmed === '/') return { kind: 'dashboard' };
  if (trimmed === '/login' || trimmed === '/logout' || trimmed.startsWith('/frontend/assets/')) return { kind: 'public' };
  const raw = trimmed.split('/').slice(1);
  const parts: string[] = [];
  for (const segment of raw) {
    const decoded = decode(segment);
    if (decoded === null) return null;
    parts.push(decoded);
  }
  const isApi = parts[0] === 'api';
  const rest = isApi ? parts.slice(1) : parts;
  const [head, resourceId, sub, x, y, ...tail] = rest;
  if (isApi && head === 'dashboard' && rest.length === 1) return { kind: 'dashboard' };
  if (head === 'pages' && resourceId !== undefined && rest.length === 2) return { kind: 'page', page: resourceId };
  if (head === 'resources' && resourceId !== undefined) {
    if (sub === undefined && !isApi) return { kind: 'resource', resourceId, action: 'list' };
    // /api/resources/:r/search[/:query]
    if (isApi && sub === 'search' && rest.length <= 4) return { kind: 'resource', resourceId, action: 'search' };
    // /resources/:r/actions/:a and /api/resources/:r/actions/:a[/:query]
    if (sub === 'actions' && x !== undefined && (rest.length === 4 || (isApi && rest.length === 5))) {
      return { kind: 'resource', resourceId, action: x };
    }
    if (sub === 'records' && x !== undefined && y !== undefined && tail.length === 0) {
      return { kind: 'record', resourceId, action: y, recordId: x };
    }
    if (sub === 'bulk' && x !== undefined && rest.length === 4) return { kind: 'bulk', resourceId, action: x };
  }
  return { kind: 'other', path: trimmed };
}

function needs(capability: Capability | null, granted: readonly string[]): boolean {
  return capability === null || hasCapability(granted, capability);
}

/** What a signed-in user of this plane may do on this route. */
export function decideAccess(policy: PlanePolicy, route: PlaneRoute, method: HttpMethod, granted: readonly string[]): AccessDecision {
  const forbidden = (reason: string): AccessDecision => ({ allow: false, status: 403, reason });
  const notFound = (reason: string): AccessDecision => ({ allow: false, status: 404, reason });
  switch (route.kind) {
    case 'public':
      return { allow: true };
    case 'dashboard':
      if (method !== 'GET') return notFound('method');
      return needs(policy.dashboard, granted) ? { allow: true } : forbidden('dashboard');
    case 'page': {
      if (!Object.hasOwn(policy.pages, route.page)) return notFound('unknown page');
      const capability = policy.pages[route.page] ?? null;
      return needs(capability, granted) ? { allow: true } : forbidden(`page ${route.page}`);
    }
    case 'resource':
    case 'record':
    case 'bulk': {
      if (!Object.hasOwn(policy.resources, route.resourceId)) return notFound('unknown resource');
      const resource = policy.resources[route.resourceId];
      const action = resource && Object.hasOwn(resource.actions, route.action) ? resource.actions[route.action] : undefined;
      if (!resource || !action || action.kind !== route.kind) return notFound('unknown action');
      if (!action.methods.includes(method)) return notFound('method');
      if (!needs(resource.capability, granted) || !needs(action.capability, granted)) {
        return forbidden(`${route.resourceId}.${route.action}`);
      }
      return { allow: true };
    }
    case 'other': {
      const rule = policy.custom.find((candidate) => candidate.method === method && candidate.pattern.test(route.path));
      if (!rule) return notFound('unknown route');
      return needs(rule.capability, granted) ? { allow: true } : forbidden(route.path);
    }
  }
}
