// Password hashing (bcrypt, cost 12 outside tests), and a dummy hash so unknown emails cost as much as wrong passwords.
import bcrypt from 'bcryptjs';

const COST = process.env.NODE_ENV === 'test' ? 4 : 12;
let dummyHash: string | null = null;

export function hashPassword(plain: string, cost = COST): Promise<string> {
  return bcrypt.hash(plain, cost);
}

export function verifyPassword(plain: string, hash: string): Promise<boolean> {
  return bcrypt.compare(plain, hash);
}

/** Compares against a throwaway hash of the same cost: the time an unknown email takes equals a wrong password's. */
export async function burnPasswordCheck(plain: string): Promise<false> {
  dummyHash ??= await bcrypt.hash('atlas-ops-dummy-password', COST);
  await bcrypt.compare(plain, dummyHash);
  return false;
}
