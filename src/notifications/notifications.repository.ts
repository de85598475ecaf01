// Operator notifications: written when a run ends (to its initiating platform user only), read by the operator.
import type { Queryable, Tx } from '../db/pool.js';

export interface Notification {
  id: number;
  platformUserId: number;
  type: 'OperationRunCompleted';
  runId: number | null;
  data: Record<string, unknown>;
  readAt: Date | null;
  createdAt: Date;
}

interface NotificationRow {
  id: number;
  platform_user_id: number;
  type: 'OperationRunCompleted';
  run_id: number | null;
  data: Record<string, unknown>;
  read_at: Date | null;
  created_at: Date;
}

function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    platformUserId: row.platform_user_id,
    type: row.type,
    runId: row.run_id,
    data: row.data,
    readAt: row.read_at,
    createdAt: row.created_at,
  };
}

/** At most one per run and user, however often completion is attempted. */
export async function insertRunCompletedNotification(
  tx: Tx,
  platformUserId: number,
  runId: number,
  data: Record<string, unknown>,
): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO notifications (platform_user_id, type, run_id, data)
     VALUES ($1::bigint, 'OperationRunCompleted', $2::bigint, $3::jsonb)
     ON CONFLICT ON CONSTRAINT notifications_once_per_run DO NOTHING`,
    [platformUserId, runId, JSON.stringify(data)],
  );
  return rowCount === 1;
}

export async function listNotifications(
  db: Queryable,
  platformUserId: number,
  options: { limit?: number; unreadOnly?: boolean } = {},
): Promise<{ items: Notification[]; unread: number }> {
  const [list, unread] = await Promise.all([
    db.query<NotificationRow>(
      `SELECT * FROM notifications
        WHERE platform_user_id = $1::bigint AND ($2::boolean IS NOT TRUE OR read_at IS NULL)
        ORDER BY created_at DESC, id DESC LIMIT $3::int`,
      [platformUserId, options.unreadOnly ?? false, options.limit ?? 50],
    ),
    db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE platform_user_id = $1::bigint AND read_at IS NULL', [
      platformUserId,
    ]),
  ]);
  return { items: list.rows.map(toNotification), unread: unread.rows[0]?.n ?? 0 };
}

/** Marks one of the user's own notifications read; null when it is not theirs (callers answer 404). */
export async function markNotificationRead(db: Queryable, platformUserId: number, id: number): Promise<Notification | null> {
  const { rows } = await db.query<NotificationRow>(
    `UPDATE notifications SET read_at = coalesce(read_at, now())
      WHERE id = $1::bigint AND platform_user_id = $2::bigint RETURNING *`,
    [id, platformUserId],
  );
  return rows[0] ? toNotification(rows[0]) : null;
}
