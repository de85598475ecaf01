// Security headers for both panels. AdminJS pages carry inline scripts (window.REDUX_STATE) and styled-components
// inject inline styles, so those two need 'unsafe-inline'; everything else is same-origin only. The Google Fonts
// link AdminJS hard-codes is blocked by this policy, so no request leaves the machine (system fonts are used).
import helmet from 'helmet';

export function securityHeaders(options: { isProduction: boolean }) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(options.isProduction ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: options.isProduction,
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  });
}
