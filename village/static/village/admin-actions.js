// Small behaviours of our own admin screens, bound here rather than in inline handlers
// (onclick=, onchange=), which the Content-Security-Policy does not let run (village/csp.py).
document.addEventListener("change", (event) => {
  const el = event.target;
  // A filter that applies as soon as it is chosen (e.g. the village picker).
  if (el.matches("[data-cz-autosubmit]") && el.form) el.form.submit();
  // "Select all": ticks every box the selector names that is not disabled.
  if (el.matches("[data-cz-check-all]")) {
    document.querySelectorAll(el.dataset.czCheckAll).forEach((box) => {
      if (!box.disabled) box.checked = el.checked;
    });
  }
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-cz-print]")) window.print();
});
