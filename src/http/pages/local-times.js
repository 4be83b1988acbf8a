(function () {
  "use strict";
  var format = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short"
  });
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("time[datetime]").forEach(function (time) {
    var at = new Date(time.getAttribute("datetime"));
    if (isNaN(at.getTime())) { return; }
    time.title = time.textContent;
    time.textContent = format.format(at);
    time.classList.add("local");
  });
  document.querySelectorAll(".viewer-zone").forEach(function (note) {
    note.textContent = "Times in your time zone (" + zone + "), the chat's own beside them.";
  });
})();
