// Corner Market's only script of its own. It keeps the "Linked to Instacart" badge on the profile page
// in step with <cartlink-status> when the status changes in the page (after linking completes).
const status = document.querySelector('cartlink-status');
const badge = document.querySelector('[data-linked-indicator]');
if (status && badge) {
  status.addEventListener('cartlink:state-change', (event) => {
    const state = event.detail?.state;
    if (state === 'loading') return;
    badge.hidden = !(state === 'linked-active' || state === 'linked-inactive');
  });
}
