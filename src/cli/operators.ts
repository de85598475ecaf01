// Operator accounts from the CLI: the way to create the first operator of a production install (no demo data there).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { auditActions, writeAudit } from '../audit/audit.js';
import { allCapabilities } from '../auth/capabilities.js';
import { listPlatformUsers, setPlatformUserActive, upsertPlatformUser } from '../auth/identities.repository.js';
import { hashPassword } from '../auth/passwords.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { osIdentity, printJson, withRuntime } from './cli-support.js';

const MIN_PASSWORD = 12;

function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 320) throw new ValidationError(`"${raw}" is not an e-mail address.`, 'email');
  return email;
}

/** The password from --password-stdin (first line) or OPERATOR_PASSWORD; never from an argument (shell history). */
function readPassword(fromStdin: boolean): string {
  const password = fromStdin ? (readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '') : (process.env.OPERATOR_PASSWORD ?? '');
  if (!fromStdin && !process.env.OPERATOR_PASSWORD) {
    throw new ValidationError('Give the password on standard input with --password-stdin, or in OPERATOR_PASSWORD.', 'password');
  }
  if ([...password].length < MIN_PASSWORD) throw new ValidationError(`The password must be at least ${MIN_PASSWORD} characters long.`, 'password');
  return password;
}

function parseCapabilities(list: string[], all: boolean): string[] {
  if (all) return [...allCapabilities];
  const unknown = list.filter((capability) => !(allCapabilities as readonly string[]).includes(capability));
  if (unknown.length > 0) throw new ValidationError(`Unknown capability ${unknown.join(', ')}; known: ${allCapabilities.join(', ')}.`, 'capability');
  return [...new Set(list)];
}

export function addOperatorCommands(program: Command, json: () => boolean, action: <A extends unknown[]>(fn: (...args: A) => Promise<number | void>) => (...args: A) => Promise<void>): void {
  program
    .command('operators')
    .description('list platform operators')
    .action(
      action(async () => {
        await withRuntime(async (runtime) => {
          const operators = await listPlatformUsers(runtime.pool);
          if (json()) return printJson(operators);
          for (const operator of operators) {
            process.stdout.write(`${operator.email}  ${operator.isActive ? 'active' : 'DEACTIVATED'}  ${operator.capabilities.join(', ') || '(no capability)'}\n`);
          }
        });
      }),
    );

  program
    .command('operator:add')
    .description('create an operator, or update its name, capabilities and password')
    .argument('<email>', 'sign-in e-mail')
    .option('--name <name>', 'display name')
    .option('--capability <capability...>', `capabilities to grant (${allCapabilities.join(', ')})`, [])
    .option('--all-capabilities', 'grant every capability')
    .option('--password-stdin', 'read the password from standard input (else OPERATOR_PASSWORD)')
    .action(
      action(async (rawEmail: string, options: { name?: string; capability: string[]; allCapabilities?: boolean; passwordStdin?: boolean }) => {
        const email = normaliseEmail(rawEmail);
        const capabilities = parseCapabilities(options.capability, Boolean(options.allCapabilities));
        const password = readPassword(Boolean(options.passwordStdin));
        const name = options.name?.trim() || email.split('@')[0]!;
        await withRuntime(async (runtime) => {
          const { identity, created } = await upsertPlatformUser(runtime.pool, { email, name, capabilities, passwordHash: await hashPassword(password) });
          await writeAudit(runtime.pool, {
            plane: 'cli',
            actor: { type: 'cli', label: osIdentity() },
            action: created ? auditActions.operatorCreated : auditActions.operatorUpdated,
            target: { type: 'platform_user', id: identity.id },
            metadata: { email, capabilities },
          });
          if (json()) printJson({ ...identity, created });
          else process.stdout.write(`${created ? 'Created' : 'Updated'} operator ${email} (${capabilities.join(', ') || 'no capability'}).\n`);
        });
      }),
    );

  for (const [command, isActive] of [
    ['operator:deactivate', false],
    ['operator:activate', true],
  ] as const) {
    program
      .command(command)
      .description(isActive ? 'let an operator sign in again' : 'stop an operator from signing in (open sessions end at once)')
      .argument('<email>', 'sign-in e-mail')
      .action(
        action(async (rawEmail: string) => {
          const email = normaliseEmail(rawEmail);
          await withRuntime(async (runtime) => {
            const operator = await setPlatformUserActive(runtime.pool, email, isActive);
            if (!operator) throw new NotFoundError(`No operator ${email}.`);
            await writeAudit(runtime.pool, {
              plane: 'cli',
              actor: { type: 'cli', label: osIdentity() },
              action: isActive ? auditActions.operatorActivated : auditActions.operatorDeactivated,
              target: { type: 'platform_user', id: operator.id },
              metadata: { email },
            });
            if (json()) printJson(operator);
            else process.stdout.write(`${email} is ${isActive ? 'active' : 'deactivated'}.\n`);
          });
        }),
      );
  }
}
