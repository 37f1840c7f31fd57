/**
 * The survey pages' stylesheet and script, served from psa-sync's own origin so the pages can run
 * under a strict Content-Security-Policy (no inline script or style). Kept as strings so the
 * compiled daemon needs no asset files beside it.
 */
export const SURVEY_CSS = `body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933; background: #f5f7fa; margin: 0; }
main { max-width: 32rem; margin: 4rem auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.12); text-align: center; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
p { line-height: 1.5; }
button { font: inherit; padding: 0.6rem 1.4rem; border: 0; border-radius: 4px; background: #1f6feb; color: #fff; cursor: pointer; }
button:focus-visible { outline: 3px solid #0b3d91; outline-offset: 2px; }
[hidden] { display: none; }
textarea { font: inherit; width: 100%; box-sizing: border-box; }
blockquote.comment { white-space: pre-wrap; text-align: left; border-left: 3px solid #cbd2d9; margin: 1rem 0; padding: 0 1rem; }
`;

/** The heading once a rating is recorded (the rating page says "confirm" until then). */
export const THANKS_TITLE = 'Thank you for your feedback';

/** Records the rating on page load (see survey-routes.ts): scanners fetch links, people run this. */
export const RECORD_JS = `// Records the rating a person chose: mail scanners fetch links but do not run this, so a fetched
// link records nothing. Without scripts, the button does the same.
document.addEventListener('DOMContentLoaded', function () {
  var form = document.getElementById('rating-form');
  var status = document.getElementById('rating-status');
  if (!form || !status || !window.fetch) return;
  fetch(form.action, { method: 'POST', headers: { accept: 'application/json' }, credentials: 'omit' })
    .then(function (res) {
      return res.json().then(function (body) {
        status.textContent = res.ok ? body.message : (body.error && body.error.message) || 'Your rating could not be recorded.';
        if (!res.ok) return;
        form.querySelector('button').hidden = true;
        var heading = document.querySelector('h1');
        if (heading) heading.textContent = ${JSON.stringify(THANKS_TITLE)};
        document.title = ${JSON.stringify(THANKS_TITLE)};
        // The comment box appears once the rating is recorded; a link without a ticket names its event.
        var comment = document.getElementById('comment-form');
        if (!comment) return;
        if (body.eventId && comment.elements.event) comment.elements.event.value = body.eventId;
        comment.hidden = false;
      });
    })
    .catch(function () {
      // Offline or blocked: the button still records the rating.
    });
});
`;
