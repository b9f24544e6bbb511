// Draws the trend charts of a page from the JSON in the data-charts attribute.
// Runs on load and again whenever htmx swaps in new figures (the period switch).
(function () {
  "use strict";

  var BRAND = "#1f3a5f";
  var BAND = "rgba(31, 58, 95, 0.15)";
  var TARGET = "#b35c00";

  // A period with too few observations is drawn hollow; the period still running as a
  // diamond, its label saying so.
  function symbols(chart, running) {
    return chart.value.map(function (_value, i) {
      var shape = running[i] ? "diamond" : "circle";
      return chart.too_few[i] ? shape + "-open" : shape;
    });
  }

  function notes(chart, running, texts) {
    return chart.value.map(function (_value, i) {
      var parts = [];
      if (chart.too_few[i]) { parts.push(texts.too_few); }
      if (running[i]) { parts.push(texts.running); }
      return parts.length ? "<br>" + parts.join(" · ") : "";
    });
  }

  function traces(chart, labels, texts, running) {
    var unit = chart.unit;
    var notesFor = notes(chart, running, texts);
    return [
      {
        x: labels, y: chart.high, type: "scatter", mode: "lines",
        line: { width: 0 }, hoverinfo: "skip", showlegend: false, connectgaps: false
      },
      {
        x: labels, y: chart.low, type: "scatter", mode: "lines", fill: "tonexty",
        fillcolor: BAND, line: { width: 0 }, name: texts.interval, hoverinfo: "skip",
        showlegend: false, connectgaps: false
      },
      {
        x: labels, y: chart.value, type: "scatter", mode: "lines+markers", name: chart.title,
        line: { color: BRAND, width: 2 }, connectgaps: false,
        marker: { size: 8, symbol: symbols(chart, running), color: BRAND, line: { color: BRAND, width: 2 } },
        customdata: chart.low.map(function (low, i) { return [low, chart.high[i], chart.n[i], notesFor[i]]; }),
        hovertemplate: "%{x}: <b>%{y:.1f}" + unit + "</b><br>" + texts.interval +
          " %{customdata[0]:.1f}–%{customdata[1]:.1f}" + unit + " (n=%{customdata[2]})%{customdata[3]}<extra></extra>"
      }
    ].concat(chart.targets.map(function (target) {
      return {
        x: [labels[0], labels[labels.length - 1]], y: [target.value, target.value],
        type: "scatter", mode: "lines", name: target.label,
        line: { color: TARGET, width: 2, dash: "dash" }, hovertemplate: target.label + ": %{y}" + unit + "<extra></extra>"
      };
    }));
  }

  function layout(chart) {
    var range = chart.range[1] === null ? undefined : chart.range;
    return {
      title: { text: chart.title, font: { size: 15 }, x: 0, xanchor: "left" },
      margin: { l: 40, r: 10, t: 36, b: 40 },
      height: 240,
      showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: { type: "category", tickangle: -45, automargin: true, fixedrange: true },
      yaxis: { range: range, rangemode: chart.range[0] === 0 ? "tozero" : "normal",
               zeroline: true, fixedrange: true, ticksuffix: chart.unit },
      font: { family: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", color: "#1b2430" }
    };
  }

  function draw(root) {
    if (typeof Plotly === "undefined") { return; }
    (root || document).querySelectorAll("[data-charts]").forEach(function (box) {
      var data = JSON.parse(box.dataset.charts);
      var running = data.running || data.labels.map(function () { return false; });
      var labels = data.labels.map(function (label, i) {
        return running[i] ? label + " (" + data.texts.running + ")" : label;
      });
      data.charts.forEach(function (chart) {
        var element = document.getElementById("chart-" + chart.id);
        if (!element) { return; }
        Plotly.react(element, traces(chart, labels, data.texts, running), layout(chart),
                     { displayModeBar: false, responsive: true });
      });
      box.dataset.drawn = "true";
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  // htmx:load fires on every element htmx puts in the page (the new figures after the period
  // switch), in the document, so the event reaches this listener.
  document.addEventListener("htmx:load", function (event) { draw(event.target); });
})();
