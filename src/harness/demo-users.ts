// Who can log in to a local stack: the seed's users with the demo passwords known here, each
// checked against the seed's scrypt hash (so a changed seed shows "no known password", not a
// password that no longer works). Both stacks list them; only the type of user differs.
import { verifyPassword, type SeedUser } from './seed/index.ts';

/** The demo seed's passwords (src/harness/seed/users.json holds only their scrypt hashes). */
export const DEMO_PASSWORDS: Record<string, string> = { 'ada.admin@acme.example': 'admin-demo-1', 'max.member@acme.example': 'member-demo-1' };

export interface DemoUser {
  email: string;
  /** Undefined when the seed's hash no longer matches the password known here. */
  password: string | undefined;
  privilege: string;
  userType: string | undefined;
  organisations: string[];
}

/** `userTypeOf`: the `userType` claim a user's ID token carries (undefined where no enrichment Lambda adds one). */
export async function demoUsersOf(seed: readonly SeedUser[], userTypeOf: (privilege: string) => string | undefined): Promise<DemoUser[]> {
  const users: DemoUser[] = [];
  for (const user of seed) {
    const known = DEMO_PASSWORDS[user.email];
    users.push({
      email: user.email,
      password: known && (await verifyPassword(known, user.passwordHash)) ? known : undefined,
      privilege: user.privilege,
      userType: userTypeOf(user.privilege),
      organisations: [...user.organisations],
    });
  }
  return users;
}
