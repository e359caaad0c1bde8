// The dashboard's HTML. Every value comes from a request header, so every value is escaped.

export interface DashboardView {
  user: string | undefined;
  userType: string | undefined;
  organisation: string | undefined;
  organisationName: string | undefined;
  features: string[];
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);

const orNone = (value: string | undefined) => (value ? escapeHtml(value) : '<span class="none">none</span>');

export function renderDashboard(view: DashboardView): string {
  const organisation = view.organisation
    ? `${escapeHtml(view.organisationName ?? view.organisation)}${view.organisationName ? ` <code>${escapeHtml(view.organisation)}</code>` : ''}`
    : '<span class="none">none</span>';
  const features = view.features.length
    ? view.features.map((feature) => `<li data-testid="feature">${escapeHtml(feature)}</li>`).join('')
    : '<li class="none">no features</li>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OneConnect dashboard</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
<header>
  <h1>OneConnect</h1>
  <form method="post" action="/user/logout" class="logout">
    <button type="submit" data-testid="logout">Log out</button>
  </form>
</header>
<main>
  <section class="card">
    <h2>Signed in as</h2>
    <dl>
      <dt>User</dt><dd data-testid="user">${orNone(view.user)}</dd>
      <dt>User type</dt><dd data-testid="user-type">${orNone(view.userType)}</dd>
      <dt>Organisation</dt><dd data-testid="organisation" data-organisation="${escapeHtml(view.organisation ?? '')}">${organisation}</dd>
    </dl>
  </section>
  <section class="card">
    <h2>Features on</h2>
    <ul class="features" data-testid="features">${features}</ul>
  </section>
  <section class="card">
    <h2>Switch organisation</h2>
    <form method="post" action="/organisation/select" id="switcher" data-testid="switcher">
      <select name="organisation" id="organisation-select" data-testid="organisation-select" aria-label="Organisation">
        ${view.organisation ? `<option value="${escapeHtml(view.organisation)}" selected>${escapeHtml(view.organisationName ?? view.organisation)}</option>` : ''}
      </select>
      <button type="submit" data-testid="switch">Switch</button>
    </form>
    <p class="status" id="switcher-status" data-testid="switcher-status" role="status"></p>
  </section>
</main>
</body>
</html>
`;
}
