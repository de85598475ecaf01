// A read-only AdminJS resource over one table, scoped per signed-in user in SQL, with validated filters and sorting.
//
// Why not @adminjs/sql's Resource: it has no tenant scoping, opens a second (knex) pool, and turns a bad filter,
// sort or id into a database error (HTTP 500). Here every list, count, show, search, reference look-up and
// bulk fetch runs through one query builder that always adds the scope predicate, and bad input is a 400.
import { Property } from '@adminjs/sql';
import { BaseRecord, BaseResource, type ActionContext, type Filter, type ParamsType } from 'adminjs';
import type { Pool } from '../db/pool.js';
import { ForbiddenError, ValidationError } from '../errors.js';
import type { PlaneUser } from './plane-user.js';

export type ColumnType = 'number' | 'string' | 'datetime' | 'boolean' | 'key-value' | 'reference';

export interface ColumnDef {
  name: string;
  type: ColumnType;
  /** For references: the AdminJS resource id (table) it points to. */
  reference?: string;
  /** For enumerated text columns: the allowed values (filters accept only these). */
  values?: readonly string[];
  nullable?: boolean;
}

/** Appends a bound parameter and returns its placeholder. */
export type Bind = (value: unknown) => string;

export interface TableDef {
  table: string;
  columns: readonly ColumnDef[];
  /**
   * The rows this user may see, as an SQL predicate over the table alias `r`; null means none.
   * Called for every query: isolation lives here, not in the UI.
   */
  scope(user: PlaneUser, bind: Bind): string | null;
  defaultSort: { column: string; direction: 'asc' | 'desc' };
}

const MAX_LIMIT = 500;
const MAX_OFFSET = 1_000_000;
const MAX_FILTER_LENGTH = 200;
const ID_PATTERN = /^[1-9]\d{0,17}$/;

interface FilterEntry {
  path: string;
  value: unknown;
}

export function isRecordId(value: unknown): value is string | number {
  return (typeof value === 'string' && ID_PATTERN.test(value)) || (typeof value === 'number' && Number.isSafeInteger(value) && value > 0);
}

function isPlaneUser(value: unknown): value is PlaneUser {
  return typeof value === 'object' && value !== null && 'id' in value && 'plane' in value;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

function parseDate(value: unknown, column: string): string {
  if (typeof value !== 'string' || value.length > 40 || Number.isNaN(Date.parse(value))) {
    throw new ValidationError(`Filter "${column}" needs a date.`, column);
  }
  return new Date(value).toISOString();
}

export class ScopedSqlResource extends BaseResource {
  private readonly columnsByName: Map<string, ColumnDef>;
  private readonly props: Property[];

  constructor(
    private readonly pool: Pool,
    private readonly def: TableDef,
  ) {
    super(def.table);
    this.columnsByName = new Map(def.columns.map((column) => [column.name, column]));
    this.props = def.columns.map(
      (column, index) =>
        new Property({
          name: column.name,
          isId: column.name === 'id',
          position: index,
          defaultValue: undefined,
          isNullable: column.nullable ?? true,
          isEditable: false,
          type: column.type,
          referencedTable: column.reference ?? null,
          availableValues: column.values ? [...column.values] : undefined,
        }),
    );
  }

  static override isAdapterFor(): boolean {
    return false;
  }

  override databaseName(): string {
    return 'atlas';
  }

  override databaseType(): string {
    return 'Postgres';
  }

  override id(): string {
    return this.def.table;
  }

  override properties(): Property[] {
    return this.props;
  }

  override property(path: string): Property | null {
    return this.props.find((property) => property.path() === path) ?? null;
  }

  override async count(filter: Filter, context?: ActionContext): Promise<number> {
    const query = this.buildWhere(filter, context);
    if (!query) return 0;
    const { rows } = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.def.table} r WHERE ${query.where}`, query.params);
    return rows[0]?.n ?? 0;
  }

  override async find(
    filter: Filter,
    options: { limit?: number; offset?: number; sort?: { sortBy?: string; direction?: 'asc' | 'desc' } },
    context?: ActionContext,
  ): Promise<BaseRecord[]> {
    const query = this.buildWhere(filter, context);
    if (!query) return [];
    const limit = this.bound(options.limit ?? 10, 'perPage', 1, MAX_LIMIT);
    const offset = this.bound(options.offset ?? 0, 'page', 0, MAX_OFFSET);
    const sortBy = options.sort?.sortBy ?? this.def.defaultSort.column;
    const column = this.columnsByName.get(sortBy);
    if (!column || column.type === 'key-value') throw new ValidationError(`Cannot sort by "${String(sortBy).slice(0, 60)}".`, 'sortBy');
    const direction = options.sort?.direction === 'asc' ? 'ASC' : options.sort?.direction === 'desc' ? 'DESC' : this.def.defaultSort.direction.toUpperCase();
    const { rows } = await this.pool.query(
      `SELECT ${this.selectList()} FROM ${this.def.table} r WHERE ${query.where}
        ORDER BY r.${column.name} ${direction} NULLS LAST, r.id ${direction} LIMIT ${limit} OFFSET ${offset}`,
      query.params,
    );
    return rows.map((row: ParamsType) => new BaseRecord(row, this));
  }

  override async findOne(id: string, context?: ActionContext): Promise<BaseRecord | null> {
    if (!isRecordId(id)) return null;
    const records = await this.findMany([id], context);
    return records[0] ?? null;
  }

  override async findMany(ids: (string | number)[], context?: ActionContext): Promise<BaseRecord[]> {
    const valid = ids.filter(isRecordId).map(String).slice(0, MAX_LIMIT);
    if (valid.length === 0) return [];
    const params: unknown[] = [];
    const bind: Bind = (value) => {
      params.push(value);
      return `$${params.length}`;
    };
    const scope = this.scopeOf(context, bind);
    if (!scope) return [];
    const { rows } = await this.pool.query(
      `SELECT ${this.selectList()} FROM ${this.def.table} r WHERE r.id = ANY(${bind(valid)}::bigint[]) AND (${scope}) ORDER BY r.id`,
      params,
    );
    return rows.map((row: ParamsType) => new BaseRecord(row, this));
  }

  /** Is this record inside the user's scope? (The guard's check before AdminJS opens a record route.) */
  async isVisibleTo(id: string, user: PlaneUser): Promise<boolean> {
    if (!isRecordId(id)) return false;
    const params: unknown[] = [];
    const bind: Bind = (value) => {
      params.push(value);
      return `$${params.length}`;
    };
    const scope = this.def.scope(user, bind);
    if (!scope) return false;
    const { rowCount } = await this.pool.query(`SELECT 1 FROM ${this.def.table} r WHERE r.id = ${bind(id)}::bigint AND (${scope})`, params);
    return (rowCount ?? 0) > 0;
  }

  override build(params: ParamsType): BaseRecord {
    return new BaseRecord(params, this);
  }

  override async create(): Promise<ParamsType> {
    throw new ForbiddenError('This resource is read-only.');
  }

  override async update(): Promise<ParamsType> {
    throw new ForbiddenError('This resource is read-only.');
  }

  override async delete(): Promise<void> {
    throw new ForbiddenError('This resource is read-only.');
  }

  private selectList(): string {
    return this.def.columns.map((column) => `r.${column.name}`).join(', ');
  }

  private bound(value: number, name: string, min: number, max: number): number {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ValidationError(`"${name}" must be a whole number within limits.`, name);
    }
    return value;
  }

  private scopeOf(context: ActionContext | undefined, bind: Bind): string | null {
    const user: unknown = context?.currentAdmin;
    // No signed-in user in the context: fail closed.
    if (!isPlaneUser(user)) return null;
    return this.def.scope(user, bind);
  }

  private buildWhere(filter: Filter | null | undefined, context: ActionContext | undefined): { where: string; params: unknown[] } | null {
    const params: unknown[] = [];
    const bind: Bind = (value) => {
      params.push(value);
      return `$${params.length}`;
    };
    const scope = this.scopeOf(context, bind);
    if (!scope) return null;
    const clauses = [`(${scope})`];
    const entries: FilterEntry[] = filter ? Object.values(filter.filters ?? {}) : [];
    for (const entry of entries) clauses.push(this.filterClause(entry, bind));
    return { where: clauses.join(' AND '), params };
  }

  private filterClause(entry: FilterEntry, bind: Bind): string {
    const column = this.columnsByName.get(entry.path);
    const shownPath = String(entry.path).slice(0, 60);
    if (!column) throw new ValidationError(`Unknown filter "${shownPath}".`, 'filters');
    const { value } = entry;
    const ref = `r.${column.name}`;
    if (column.type === 'datetime') {
      if (typeof value !== 'object' || value === null) throw new ValidationError(`Filter "${shownPath}" needs a date range.`, column.name);
      const range = value as { from?: unknown; to?: unknown };
      const parts: string[] = [];
      if (range.from !== undefined && range.from !== '') parts.push(`${ref} >= ${bind(parseDate(range.from, column.name))}::timestamptz`);
      if (range.to !== undefined && range.to !== '') parts.push(`${ref} <= ${bind(parseDate(range.to, column.name))}::timestamptz`);
      return parts.length ? parts.join(' AND ') : 'true';
    }
    if (typeof value !== 'string' || value.length > MAX_FILTER_LENGTH) {
      throw new ValidationError(`Filter "${shownPath}" needs a single value of at most ${MAX_FILTER_LENGTH} characters.`, column.name);
    }
    switch (column.type) {
      case 'number':
      case 'reference':
        if (!/^\d{1,18}$/.test(value)) throw new ValidationError(`Filter "${shownPath}" needs a whole number.`, column.name);
        return `${ref} = ${bind(value)}::bigint`;
      case 'boolean':
        if (value !== 'true' && value !== 'false') throw new ValidationError(`Filter "${shownPath}" needs true or false.`, column.name);
        return `${ref} = ${bind(value === 'true')}::boolean`;
      case 'key-value':
        throw new ValidationError(`Cannot filter by "${shownPath}".`, column.name);
      case 'string':
        if (column.values) {
          if (!column.values.includes(value)) throw new ValidationError(`Filter "${shownPath}" must be one of: ${column.values.join(', ')}.`, column.name);
          return `${ref} = ${bind(value)}::text`;
        }
        return `${ref}::text ILIKE ${bind(`%${escapeLike(value)}%`)}::text`;
    }
  }
}
