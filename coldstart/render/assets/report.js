// Click-to-zoom and search for the flame graphs of the coldstart HTML report.
// No network, no library.
(function () {
  "use strict";
  var CHAR_WIDTH = 6.6; // monospace glyph width at 11px, in SVG user units
  var MIN_WIDTH = 0.3;  // frames narrower than this many units are hidden

  function fitLabel(label, width) {
    var fits = Math.floor((width - 6) / CHAR_WIDTH);
    if (fits < 3) return "";
    return label.length <= fits ? label : label.slice(0, fits - 2) + "..";
  }

  function setUp(widget) {
    var svg = widget.querySelector("svg.flamegraph");
    if (!svg) return;
    var width = svg.viewBox.baseVal.width;
    var frames = Array.prototype.slice.call(svg.querySelectorAll("g.frame"));
    var reset = widget.querySelector("button.reset");
    var details = widget.querySelector(".details");
    var idle = details ? details.textContent : "";

    function show(x0, w0, depth0) {
      frames.forEach(function (frame) {
        var x = +frame.dataset.x, w = +frame.dataset.w, depth = +frame.dataset.depth;
        var eps = 1e-7, left, share, ancestor = false;
        if (depth < depth0 && x <= x0 + eps && x + w >= x0 + w0 - eps) {
          left = 0; share = 1; ancestor = true;
        } else if (depth >= depth0 && x >= x0 - eps && x + w <= x0 + w0 + eps) {
          left = (x - x0) / w0; share = w / w0;
        } else {
          frame.style.display = "none";
          return;
        }
        var px = share * width;
        frame.style.display = px < MIN_WIDTH ? "none" : "";
        frame.classList.toggle("ancestor", ancestor);
        var rect = frame.querySelector("rect"), text = frame.querySelector("text");
        rect.setAttribute("x", (left * width).toFixed(2));
        rect.setAttribute("width", Math.max(px - 0.5, 0.1).toFixed(2));
        text.setAttribute("x", (left * width + 3).toFixed(2));
        text.textContent = fitLabel(frame.dataset.label, px);
      });
    }

    function zoom(frame) {
      show(+frame.dataset.x, +frame.dataset.w, +frame.dataset.depth);
      widget.classList.add("zoomed");
      if (reset) reset.disabled = false;
    }

    function unzoom() {
      show(0, 1, 0);
      widget.classList.remove("zoomed");
      if (reset) reset.disabled = true;
    }

    // Highlight frames whose name contains the search text, and give the share of the
    // graph they cover. Overlapping matches, such as a frame and its callee, count once.
    function search(text) {
      var needle = text.trim().toLowerCase(), spans = [], count = 0;
      frames.forEach(function (frame) {
        var hit = needle !== "" && frame.dataset.label.toLowerCase().indexOf(needle) >= 0;
        frame.classList.toggle("match", hit);
        if (hit) {
          count += 1;
          spans.push([+frame.dataset.x, +frame.dataset.x + +frame.dataset.w]);
        }
      });
      spans.sort(function (a, b) { return a[0] - b[0]; });
      var covered = 0, end = 0;
      spans.forEach(function (span) {
        if (span[1] > end) { covered += span[1] - Math.max(span[0], end); end = span[1]; }
      });
      if (details) {
        details.textContent = needle === "" ? idle : count + " frames match, " +
          (covered * 100).toFixed(1) + "% of the graph";
      }
    }

    var field = widget.querySelector("input.search");
    if (field) field.addEventListener("input", function () { search(field.value); });

    svg.addEventListener("click", function (event) {
      var frame = event.target.closest("g.frame");
      if (frame) zoom(frame);
    });
    svg.addEventListener("mouseover", function (event) {
      var frame = event.target.closest("g.frame");
      if (frame && details) details.textContent = frame.querySelector("title").textContent;
    });
    svg.addEventListener("mouseleave", function () {
      if (details) details.textContent = idle;
    });
    if (reset) reset.addEventListener("click", unzoom);
    widget.unzoom = unzoom;
    show(0, 1, 0);
  }

  var widgets = document.querySelectorAll(".flame-widget");
  Array.prototype.forEach.call(widgets, setUp);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    Array.prototype.forEach.call(widgets, function (widget) {
      if (widget.unzoom) widget.unzoom();
    });
  });
})();
