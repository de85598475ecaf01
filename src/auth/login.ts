// Credential checks for both planes. Every failure costs one bcrypt comparison, so an unknown e-mail,
// a wrong password and a deactivated account take about the same time and look the same to the caller.
import type { Queryable } from '../db/pool.js';
import {
  findCustomerCredentials,
  findPlatformCredentials,
  type CustomerIdentity,
  type PlatformIdentity,
} from './identities.repository.js';
import { burnPasswordCheck, verifyPassword } from './passwords.js';

async function check<T extends { isActive: boolean }>(
  found: { identity: T; passwordHash: string } | null,
  password: string,
): Promise<T | null> {
  if (!found) {
    await burnPasswordCheck(password);
    return null;
  }
  const matches = await verifyPassword(password, found.passwordHash);
  return matches && found.identity.isActive ? found.identity : null;
}

export async function authenticatePlatformUser(db: Queryable, email: string, password: string): Promise<PlatformIdentity | null> {
  return check(await findPlatformCredentials(db, email.trim().toLowerCase()), password);
}

export async function authenticateCustomerUser(db: Queryable, email: string, password: string): Promise<CustomerIdentity | null> {
  return check(await findCustomerCredentials(db, email.trim().toLowerCase()), password);
}
