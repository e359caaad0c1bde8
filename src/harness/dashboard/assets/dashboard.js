// Fills the organisation switcher from feature-organisation-backend and submits the choice as
// JSON; without this script the form still works (a plain POST and a 303 back to the page).
const select = document.getElementById('organisation-select');
const form = document.getElementById('switcher');
const status = document.getElementById('switcher-status');

async function loadOrganisations() {
  const response = await fetch('/organisation/', { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (!response.ok) throw new Error(`organisations: HTTP ${response.status}`);
  const { organisations, selected } = await response.json();
  select.replaceChildren(
    ...organisations.map(({ id, name }) => {
      const option = document.createElement('option');
      option.value = id;
      option.textContent = name === id ? id : `${name} (${id})`;
      option.selected = id === selected;
      return option;
    }),
  );
  form.dataset.ready = 'true';
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  status.textContent = 'Switching…';
  const response = await fetch('/organisation/select', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify({ id: select.value }),
  });
  if (response.ok) {
    window.location.reload();
  } else {
    const body = await response.json().catch(() => ({}));
    status.textContent = body.message || `Could not switch (HTTP ${response.status})`;
  }
});

loadOrganisations().catch((error) => {
  status.textContent = error.message;
});
