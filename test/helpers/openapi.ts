// The OpenAPI document as a response validator: every real response is checked against what docs/openapi.yaml says.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

// ajv-formats is CommonJS: its default export arrives under `default` when imported from ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv2020,
) => void;

export const openApiPath = 'docs/openapi.yaml';

type Json = Record<string, unknown>;

export function loadOpenApi(): Json {
  return parse(readFileSync(openApiPath, 'utf8')) as Json;
}

function pointer(...parts: string[]): string {
  return parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

export class ResponseValidator {
  private readonly ajv: Ajv2020;
  readonly checked = new Set<string>();

  constructor(private readonly doc: Json) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ ...doc, $id: 'openapi' });
  }

  /**
   * Throws unless the operation documents this status and content type and the body matches its schema.
   * `path` is the template path from the document (e.g. /ops/api/runs/{id}).
   */
  check(method: string, path: string, status: number, contentType: string | null, body: string): void {
    const paths = this.doc.paths as Record<string, Record<string, Json>>;
    const operation = paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${method} ${path} is not in ${openApiPath}`);
    const responses = operation.responses as Record<string, Json>;
    let response = responses[String(status)];
    if (!response) throw new Error(`${method} ${path} answered ${status}, which ${openApiPath} does not document`);
    let responsePointer = `#/${pointer('paths', path, method.toLowerCase(), 'responses', String(status))}`;
    const ref = response.$ref;
    if (typeof ref === 'string') {
      responsePointer = ref;
      const name = ref.split('/').at(-1) ?? '';
      response = ((this.doc.components as Json).responses as Record<string, Json>)[name] ?? {};
    }
    const content = response.content as Record<string, Json> | undefined;
    const type = (contentType ?? '').split(';')[0]!.trim();
    if (!content) {
      this.checked.add(`${method} ${path} ${status}`);
      return;
    }
    if (!content[type]) throw new Error(`${method} ${path} ${status}: content type "${type}" is not documented`);
    const validate = this.ajv.compile({ $ref: `openapi${responsePointer}/content/${pointer(type)}/schema` });
    const data: unknown = type === 'application/json' ? JSON.parse(body) : body;
    if (!validate(data)) {
      throw new Error(`${method} ${path} ${status} does not match ${openApiPath}: ${this.ajv.errorsText(validate.errors)}\n${body.slice(0, 800)}`);
    }
    this.checked.add(`${method} ${path} ${status}`);
  }
}
