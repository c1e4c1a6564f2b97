// Reliability Lab: slide mode (?present=1) and the presenter view (/lessons/<slug>/notes).
// A step is one <section class="slide">; the one on screen is a number held here and in the URL
// (?step=N), never guessed from the scroll position, so no key can get stuck. The slide window and
// the presenter view keep each other in step over a BroadcastChannel (same browser, no server).
(function () {
  "use strict";
  var CHANNEL = "reliability-lab-slides";
  var channel = "BroadcastChannel" in window ? new BroadcastChannel(CHANNEL) : null;
  var MIN_CHART_FONT = 16;  // projected chart text, in CSS pixels

  function stepFromUrl(total) {
    var n = parseInt(new URL(window.location.href).searchParams.get("step") || "1", 10);
    return Math.min(Math.max(isNaN(n) ? 1 : n, 1), total);
  }

  function urlWithStep(n) {
    var url = new URL(window.location.href);
    url.searchParams.set("step", String(n));
    url.hash = "";
    return url.pathname + url.search;
  }

  function editing(el) {
    return el && (/^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) || el.isContentEditable);
  }

  // ================================ the slide window ==============================================
  var deck = document.querySelector("[data-slides]");
  if (deck) {
    var slides = Array.prototype.slice.call(deck.querySelectorAll(".slide"));
    var total = slides.length;
    var slug = deck.getAttribute("data-lesson-slug");
    var current = stepFromUrl(total);

    var show = function (n, fromChannel) {
      n = Math.min(Math.max(n, 1), total);
      var changed = n !== current;
      current = n;
      slides.forEach(function (slide, i) { slide.hidden = i !== n - 1; });
      deck.querySelector("[data-step-number]").textContent = String(n);
      deck.querySelectorAll("[data-slides-go]").forEach(function (link) {
        var target = link.getAttribute("data-slides-go") === "next" ? n + 1 : n - 1;
        link.href = urlWithStep(Math.min(Math.max(target, 1), total));
        link.setAttribute("aria-disabled", String(target < 1 || target > total));
      });
      var notes = deck.querySelector("[data-slides-notes]");
      if (notes) notes.href = "/lessons/" + slug + "/notes?step=" + n;
      try { history.replaceState(history.state, "", urlWithStep(n)); } catch (e) { /* sandboxed */ }
      var slide = slides[n - 1];
      slide.scrollTop = 0;
      var focus = document.activeElement;  // focus left on a hidden step would swallow the next key
      if (changed && focus && focus !== document.body && !slide.contains(focus) && focus.blur) focus.blur();
      fitDemo(slide);
      if (!fromChannel || changed) announce();
    };

    var announce = function () {
      if (channel) channel.postMessage({ type: "step", slug: slug, step: current, total: total });
    };

    // ---- a demo step fits the screen: one panel (a chart, the diagram, the theory check) at a time
    // What a demo draws besides its charts (a diagram, a trace, a page as the reader saw it) is one
    // panel: its elements are gathered into a wrapper after every swap.
    var OWN = ".presets, .verdict, .stats, .chart-figure, .truth, .data-table, .demo-links, .param-table, " +
              ".slide-panel-tabs, .slide-extra, .alert";
    var panelsOf = function (result) {
      var loose = Array.prototype.slice.call(result.children).filter(function (el) { return !el.matches(OWN); });
      if (loose.length) {
        var extra = document.createElement("div");
        extra.className = "slide-extra";
        result.insertBefore(extra, loose[0]);
        loose.forEach(function (el) { extra.appendChild(el); });
      }
      return Array.prototype.slice.call(result.querySelectorAll(":scope > .chart-figure, :scope > .slide-extra, :scope > .truth"));
    };

    var panelName = function (el, i) {
      if (el.matches(".chart-figure")) {
        var fig = JSON.parse(el.querySelector("[data-figure]").getAttribute("data-figure"));
        var title = fig.layout && fig.layout.title;
        var text = title && (typeof title === "string" ? title : title.text);
        return text ? text.replace(/<br\s*\/?>/gi, " · ").replace(/<[^>]+>/g, "") : "Chart " + (i + 1);
      }
      if (el.matches(".truth")) return "Checked against theory";
      var first = el.firstElementChild;  // a panel that opens with a line of text is named by it
      var heading = (first && first.matches("h2, h3, h4, p") ? first : null) ||
        ["h2, h3, h4", "caption, figcaption, legend", "p, summary"].map(function (sel) {
          return el.querySelector(sel);
        }).filter(Boolean)[0];
      var text = heading ? heading.textContent.replace(/\s+/g, " ").trim().replace(/:$/, "") : "";
      return text ? (text.length > 48 ? text.slice(0, 46) + "…" : text) : "Diagram";
    };

    var choosePanel = function (demo, index) {
      var result = demo.querySelector(".demo-result");
      var panels = panelsOf(result);
      if (!panels.length) return;
      index = Math.min(Math.max(index, 0), panels.length - 1);
      demo.setAttribute("data-panel", String(index));
      panels.forEach(function (el, i) { el.classList.toggle("slide-panel-on", i === index); el.classList.add("slide-panel"); });
      var tabs = result.querySelector(".slide-panel-tabs");
      if (tabs) tabs.remove();
      if (panels.length > 1) {
        tabs = document.createElement("div");
        tabs.className = "slide-panel-tabs";
        tabs.setAttribute("role", "group");
        tabs.setAttribute("aria-label", "What to show");
        panels.forEach(function (el, i) {
          var b = document.createElement("button");
          b.type = "button";
          b.className = "preset" + (i === index ? " active" : "");
          b.setAttribute("aria-pressed", String(i === index));
          b.textContent = panelName(el, i);
          b.addEventListener("click", function () {
            choosePanel(demo, i);  // rebuilds the tabs: keep the keyboard on the chosen one
            demo.querySelector(".slide-panel-tabs .active").focus();
            fitCharts(demo);
          });
          tabs.appendChild(b);
        });
        result.insertBefore(tabs, panels[0]);
      }
    };

    var fitCharts = function (root) {
      if (!window.Plotly) return;
      root.querySelectorAll(".slide-panel-on [data-figure], .slide-panel-on[data-figure]").forEach(function (el) {
        if (!el.getAttribute("data-drawn") || !el.clientHeight) return;
        var layout = JSON.parse(el.getAttribute("data-figure")).layout || {};
        var update = { height: el.clientHeight, width: el.clientWidth, autosize: false };
        update["font.size"] = Math.max((layout.font && layout.font.size) || 0, MIN_CHART_FONT);
        Object.keys(layout).forEach(function (key) {
          if (/^[xy]axis\d*$/.test(key)) {
            update[key + ".tickfont.size"] = MIN_CHART_FONT;
            update[key + ".title.font.size"] = MIN_CHART_FONT + 1;
          }
        });
        update["legend.font.size"] = MIN_CHART_FONT;
        update["title.font.size"] = MIN_CHART_FONT + 2;
        (layout.annotations || []).forEach(function (a, i) { update["annotations[" + i + "].font.size"] = MIN_CHART_FONT; });
        (layout.shapes || []).forEach(function (shape, i) {
          if (shape.label) update["shapes[" + i + "].label.font.size"] = MIN_CHART_FONT;
        });
        window.Plotly.relayout(el, update);
        var traces = (JSON.parse(el.getAttribute("data-figure")).data || []).map(function (_, i) { return i; });
        if (traces.length) window.Plotly.restyle(el, { "textfont.size": MIN_CHART_FONT }, traces);
      });
    };

    var fitDemo = function (slide) {
      var demo = slide.querySelector(".demo");
      if (!demo) return;
      choosePanel(demo, parseInt(demo.getAttribute("data-panel") || "0", 10));
      fitCharts(demo);
    };

    var toggleDrawer = function (slide, open) {
      var demo = slide && slide.querySelector(".demo");
      if (!demo) return;
      open = open === undefined ? !demo.classList.contains("slide-drawer-open") : open;
      demo.classList.toggle("slide-drawer-open", open);
      var button = demo.querySelector(".slide-drawer-toggle");
      if (button) button.setAttribute("aria-expanded", String(open));
      if (open) {
        var first = demo.querySelector(".demo-controls input, .demo-controls select");
        if (first) first.focus();
      }
    };

    // Every demo step gets a "Controls" button: the controls live in a drawer over the chart.
    slides.forEach(function (slide) {
      var demo = slide.querySelector(".demo");
      if (!demo) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button slide-drawer-toggle";
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", demo.querySelector(".demo-controls").id = demo.id + "-controls");
      button.innerHTML = "Controls <kbd>c</kbd>";
      button.addEventListener("click", function () { toggleDrawer(slide); });
      demo.querySelector(".demo-header").appendChild(button);
    });

    var leave = function () {
      var url = new URL(window.location.href);
      url.searchParams.delete("present");
      url.searchParams.delete("step");
      var anchor = slides[current - 1].getAttribute("data-anchor");
      var heading = slides[current - 1].querySelector("h2[id], h3[id]");
      url.hash = anchor || (heading ? heading.id : "");
      window.location.href = url.pathname + url.search + url.hash;
    };

    var nextQuestion = function () {
      for (var i = current; i < total; i++) {
        if (slides[i].getAttribute("data-kind") === "question") return show(i + 1);
      }
    };

    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var focus = document.activeElement;
      if (event.key === "Escape") {
        var slide = slides[current - 1];
        if (slide.querySelector(".slide-drawer-open")) toggleDrawer(slide, false);
        else if (editing(focus)) focus.blur();
        else leave();
        event.preventDefault();
        return;
      }
      if (editing(focus)) return;  // a slider or a text field owns its keys
      if ((event.key === " " || event.key === "Enter") && focus && /^(BUTTON|A|SUMMARY)$/.test(focus.tagName)
          && focus !== document.body) return;  // activates what has focus
      var link;
      switch (event.key) {
        case "ArrowRight": case "PageDown": show(current + 1); break;  // ↑ ↓ still scroll a long step
        case " ": show(event.shiftKey ? current - 1 : current + 1); break;
        case "ArrowLeft": case "PageUp": show(current - 1); break;
        case "Home": show(1); break;
        case "End": show(total); break;
        case "q": nextQuestion(); break;
        case "c": toggleDrawer(slides[current - 1]); break;
        case "r":
          link = slides[current - 1].querySelector(".reset-link");
          if (link) link.click();
          break;
        case "n": link = deck.querySelector("a[rel=next]"); if (link) link.click(); break;
        case "p": link = deck.querySelector("a[rel=prev]"); if (link) link.click(); break;
        default: return;
      }
      event.preventDefault();
    });

    deck.addEventListener("click", function (event) {
      var go = event.target.closest("[data-slides-go]");
      if (go) {
        event.preventDefault();
        show(current + (go.getAttribute("data-slides-go") === "next" ? 1 : -1));
        return;
      }
      if (event.target.closest("[data-slides-leave]")) {
        event.preventDefault();
        leave();
      }
    });

    if (channel) {
      channel.addEventListener("message", function (event) {
        var m = event.data || {};
        if (m.type === "hello") announce();  // a presenter view opened: tell it where we are
        else if (m.type === "go" && m.slug === slug) show(m.step, true);
      });
    }

    // app.js draws charts on load and after every htmx swap; fit them to the screen after it.
    document.addEventListener("htmx:afterSettle", function () { fitDemo(slides[current - 1]); });
    // app.js redraws every chart from its spec when the colour scheme changes: fit them again.
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
      setTimeout(function () { fitDemo(slides[current - 1]); }, 0);
    });
    var resizing;
    window.addEventListener("resize", function () {
      clearTimeout(resizing);
      resizing = setTimeout(function () { fitDemo(slides[current - 1]); }, 100);
    });
    // After app.js's own DOMContentLoaded listener (it draws the charts this fits).
    var start = function () { setTimeout(function () { show(current); }, 0); };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }

  // ================================ the presenter view ============================================
  var view = document.querySelector("[data-notes-view]");
  if (view) {
    var vslug = view.getAttribute("data-lesson-slug");
    var steps = Array.prototype.slice.call(view.querySelectorAll("[data-notes-step]"));
    var vtotal = steps.length;
    var at = stepFromUrl(vtotal);
    var started = Date.now(), stepStarted = Date.now();
    var clock = view.querySelector("[data-clock]");
    var stepClock = view.querySelector("[data-step-clock]");
    var budgetOut = view.querySelector("[data-step-budget]");

    var mmss = function (ms) {
      var s = Math.max(0, Math.floor(ms / 1000));
      return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
    };

    var render = function (n) {
      n = Math.min(Math.max(n, 1), vtotal);
      if (n !== at) stepStarted = Date.now();
      at = n;
      steps.forEach(function (el, i) {
        el.classList.toggle("notes-now", i === n - 1);
        el.classList.toggle("notes-next", i === n);
        el.hidden = !(i === n - 1 || i === n);
      });
      view.querySelectorAll("[data-outline] li").forEach(function (li, i) {
        li.classList.toggle("active", i === n - 1);
        if (i === n - 1) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
      });
      view.querySelector("[data-notes-number]").textContent = String(n);
      var minutes = parseFloat(steps[n - 1].getAttribute("data-budget") || "0");
      budgetOut.textContent = minutes ? mmss(minutes * 60000) : "not in this plan";
      try {
        var url = new URL(window.location.href);
        url.searchParams.set("step", String(n));
        history.replaceState(history.state, "", url.pathname + url.search);
      } catch (e) { /* sandboxed */ }
      tick();
    };

    var tick = function () {
      clock.textContent = mmss(Date.now() - started);
      var spent = Date.now() - stepStarted;
      stepClock.textContent = mmss(spent);
      var minutes = parseFloat(steps[at - 1].getAttribute("data-budget") || "0");
      view.classList.toggle("notes-over", minutes > 0 && spent > minutes * 60000);
    };
    setInterval(tick, 1000);

    var drive = function (n) {
      n = Math.min(Math.max(n, 1), vtotal);
      render(n);
      if (channel) channel.postMessage({ type: "go", slug: vslug, step: n });
    };

    view.addEventListener("click", function (event) {
      var go = event.target.closest("[data-notes-go]");
      if (go) {
        event.preventDefault();
        var where = go.getAttribute("data-notes-go");
        drive(where === "next" ? at + 1 : where === "prev" ? at - 1 : parseInt(where, 10));
      }
      if (event.target.closest("[data-timer-reset]")) { started = stepStarted = Date.now(); tick(); }
    });
    document.addEventListener("keydown", function (event) {
      if (editing(document.activeElement) || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "ArrowRight" || event.key === "PageDown") drive(at + 1);
      else if (event.key === "ArrowLeft" || event.key === "PageUp") drive(at - 1);
      else return;
      event.preventDefault();
    });

    if (channel) {
      channel.addEventListener("message", function (event) {
        var m = event.data || {};
        if (m.type !== "step") return;
        if (m.slug !== vslug) {  // the slides moved on to another lesson: follow them there
          var url = new URL(window.location.href);
          window.location.href = "/lessons/" + m.slug + "/notes?step=" + m.step + "&plan=" + (url.searchParams.get("plan") || "90");
          return;
        }
        render(m.step);
      });
      channel.postMessage({ type: "hello", slug: vslug });
    }
    view.setAttribute("data-synced", channel ? "broadcast" : "none");
    render(at);
  }
})();
