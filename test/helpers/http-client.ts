// A cookie-keeping HTTP client that scopes cookies by path like a browser and never follows redirects.

interface StoredCookie {
  value: string;
  path: string;
}

export interface ClientResponse {
  status: number;
  headers: Headers;
  body: string;
  setCookies: string[];
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** A browser-like client: keeps cookies per (name, path), sends those whose path matches, never follows redirects. */
export class HttpClient {
  private readonly jar = new Map<string, StoredCookie & { name: string }>();

  constructor(
    readonly baseUrl: string,
    private readonly defaults: { userAgent?: string; ip?: string } = {},
  ) {}

  cookie(name: string, path?: string): string | undefined {
    for (const cookie of this.jar.values()) if (cookie.name === name && (path === undefined || cookie.path === path)) return cookie.value;
    return undefined;
  }

  setCookie(name: string, value: string, path = '/'): void {
    this.jar.set(`${name};${path}`, { name, value, path });
  }

  async request(
    path: string,
    init: { method?: string; form?: Record<string, string>; body?: string; headers?: Record<string, string> } = {},
  ): Promise<ClientResponse> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { 'user-agent': this.defaults.userAgent ?? 'atlas-tests', ...init.headers };
    const cookies = [...this.jar.values()].filter((cookie) => pathMatches(url.pathname, cookie.path));
    if (cookies.length) headers.cookie = cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
    let body = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const response = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
    const setCookies = response.headers.getSetCookie();
    for (const raw of setCookies) this.store(raw);
    return { status: response.status, headers: response.headers, body: await response.text(), setCookies };
  }

  get(path: string, headers: Record<string, string> = {}): Promise<ClientResponse> {
    return this.request(path, { headers });
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<ClientResponse> {
    return this.request(path, { method: 'POST', form, headers });
  }

  private store(raw: string): void {
    const [pair = '', ...attributes] = raw.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let path = '/';
    let expired = false;
    for (const attribute of attributes) {
      const [key = '', val = ''] = attribute.split('=');
      if (key.toLowerCase() === 'path') path = val;
      if (key.toLowerCase() === 'expires' && Date.parse(val) <= Date.now()) expired = true;
      if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
    }
    if (expired) this.jar.delete(`${name};${path}`);
    else this.jar.set(`${name};${path}`, { name, value, path });
  }
}

/** Parses one Set-Cookie header into its name, value and lower-cased attributes. */
export function parseSetCookie(raw: string): { name: string; value: string; attributes: Map<string, string> } {
  const [pair = '', ...rest] = raw.split(';').map((part) => part.trim());
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const attribute of rest) {
    const [key = '', ...val] = attribute.split('=');
    attributes.set(key.toLowerCase(), val.join('='));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}
