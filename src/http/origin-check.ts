// Refuses state-changing requests that a browser marks as coming from another site (no CSRF tokens in AdminJS).
import type { NextFunction, Request, Response } from 'express';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** True when Sec-Fetch-Site or Origin shows the request was made by another site. */
export function isCrossSiteRequest(req: Request): boolean {
  const fetchSite = req.get('sec-fetch-site');
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') return true;
  const origin = req.get('origin');
  if (origin === undefined) return false;
  if (origin === 'null') return true;
  return origin !== `${req.protocol}://${req.get('host') ?? ''}`;
}

export function originCheck(onRefused?: (req: Request) => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (safeMethods.has(req.method) || !isCrossSiteRequest(req)) {
      next();
      return;
    }
    onRefused?.(req);
    const message = 'Cross-site request refused.';
    if (/(^|\/)api\//.test(req.path)) res.status(403).json({ error: { status: 403, code: 'cross_site', message } });
    else res.status(403).type('text/plain').send(message);
  };
}
