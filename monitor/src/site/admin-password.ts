/**
 * Sets a new random password for a status-site admin (creating the admin in the default workspace if the
 * email is new), turns their two-factor sign-in off (a locked-out admin may have lost the phone too), and
 * prints the password once:
 *
 *   node monitor/src/site/admin-password.ts admin@localhost
 *
 * Uses DATABASE_URL (and DATABASE_AUTH_TOKEN) like `npm start`.
 */
import { createDb } from '@lifeline/db';
import { migrateDb } from '@lifeline/db/migrate';
import { loadConfig } from '../config.ts';
import { setAdminPassword } from './first-admin.ts';

const email = process.argv[2];
if (!email?.includes('@')) {
  console.error('Usage: node monitor/src/site/admin-password.ts <email>');
  process.exit(2);
}
const config = loadConfig(process.env);
const database = await createDb(config.DATABASE_URL, { authToken: config.DATABASE_AUTH_TOKEN });
await migrateDb(database);
const admin = await setAdminPassword(database.db, email, Date.now());
console.log(`Admin ${admin.email}: new password ${admin.password} (shown once)`);
if (admin.twoFactorTurnedOff)
  console.log(
    'Two-factor sign-in was on for this admin and is now off: they can turn it on again under Admins.',
  );
database.close();
