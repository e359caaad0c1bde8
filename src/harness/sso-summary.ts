// What `oc-edge start --sso` prints once the SSO stack is up: where each app is, how they relate,
// who can sign in. No secret: the Redis URL is shown without credentials, keys not at all.
import type { RunningSsoStack } from './sso-stack.ts';

const ROLE: Record<string, string> = {
  'sso-server': 'the one relying party of the domain; sets the session cookie',
  'sso-proxy': 'behind an SSO proxy: reads the server\'s sessions, no client secret',
  standalone: 'behind a standalone sidecar: its own relying party and session',
};

export function ssoSummary(stack: RunningSsoStack, redisShown: string): string[] {
  const sites = Object.values(stack.sites);
  const width = Math.max(...sites.map((s) => s.site.title.length));
  const line = (s: (typeof sites)[number]) => `    ${s.site.title.padEnd(width)}  ${s.url.padEnd(32)} ${ROLE[s.site.mode] ?? s.site.mode}`;
  const lines = [
    `  Single sign-on on ${stack.ssoDomain} (cookie ${stack.sessionCookie}, Domain=${stack.ssoDomain}; sessions in Redis ${redisShown}):`,
    ...sites.filter((s) => s.site.mode !== 'standalone').map(line),
    '  Beside it:',
    ...sites.filter((s) => s.site.mode === 'standalone').map(line),
  ];
  lines.push(
    `  Identity provider ${stack.identityProvider.url}`,
    '  Open them in Chromium, Chrome, Edge or Firefox (they resolve *.localhost to this machine);',
    '  sign in at one SSO app and the other knows you; sign out at one and both forget you.',
    '',
    '  Demo users:',
    ...stack.demoUsers.map((user) => `    ${user.email.padEnd(26)} ${(user.password ?? '(see docs/idp.md)').padEnd(16)} ${user.privilege}`),
    '',
    `  Logs: ${stack.logFile}`,
    '  Ctrl-C stops everything.',
  );
  return lines;
}
