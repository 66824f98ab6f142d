// The resident's ballot with JavaScript (README: "Accessibility: the resident's phone"): drafts,
// Wegen's buttons, Zeven one measure per screen, resending. Without it the forms work as plain forms.
// Few comments on purpose: every byte counts in the first load (tests/routes/test_page_weight.py).
(function () {
  "use strict";

  var STORE = null;
  try {
    STORE = window.localStorage;
    STORE.setItem("wz-test", "1");
    STORE.removeItem("wz-test");
  } catch (e) {
    STORE = null;
  }

  function readDraft(key) {
    if (!STORE || !key) return null;
    try {
      var draft = JSON.parse(STORE.getItem(key) || "null");
      return draft && draft.fields ? draft : null;
    } catch (e) {
      return null;
    }
  }

  function writeDraft(key, draft) {
    if (!STORE || !key) return;
    try {
      STORE.setItem(key, JSON.stringify(draft));
    } catch (e) {
    }
  }

  function fieldsOf(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "idempotency_key" || el.type === "submit") return;
      if (el.tagName === "BUTTON") return;
      if (!(el.name in fields)) fields[el.name] = [];
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) fields[el.name].push(el.value);
      } else {
        fields[el.name].push(el.value);
      }
    });
    return fields;
  }

  function putBack(form, fields) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in fields) || el.name === "idempotency_key") return;
      if (el.tagName === "BUTTON" || el.type === "submit") return;
      var values = fields[el.name];
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values.indexOf(el.value) !== -1;
      } else {
        el.value = values.length ? values[0] : "";
      }
    });
  }

  function fire(el, type) {
    el.dispatchEvent(new Event(type, { bubbles: true }));
  }


  function whole(text) {
    var t = String(text).trim();
    return /^[+-]?\d+$/.test(t) ? parseInt(t, 10) : 0;
  }

  function setUpSteppers(form) {
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-step]");
      if (!button) return;
      event.preventDefault();
      var input = document.getElementById(button.getAttribute("aria-controls"));
      if (!input) return;
      var rest = button.getAttribute("data-step") === "rest";
      var step = rest ? 100 : parseInt(button.getAttribute("data-step"), 10);
      var current = whole(input.value);
      var next;
      if (step < 0) {
        next = Math.max(0, current + step);
      } else {
        var used = 0;
        form.querySelectorAll("input[name^='points-']").forEach(function (other) {
          used += Math.max(0, whole(other.value));
        });
        next = Math.max(0, current) + Math.min(step, Math.max(0, 100 - used));
      }
      if (rest) form.setAttribute("data-focus-send", "1");
      input.value = String(next);
      fire(input, "input");
      fire(input, "change");
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.matches("input[name^='points-']")) {
        event.preventDefault();
        fire(event.target, "change");
      }
    });
  }

  function markInvalidPoints(form) {
    form.querySelectorAll("input[name^='points-']").forEach(function (input) {
      var problem = document.getElementById("points-problem-" + input.name.slice(7));
      if (problem && problem.textContent.trim()) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    });
  }


  function measureState(article) {
    var skip = article.querySelector("input[name^='skip-']");
    if (skip && skip.checked) return "skipped";
    var groups = article.querySelectorAll("fieldset.score");
    var done = 0;
    groups.forEach(function (group) {
      if (group.querySelector("input[type=radio]:checked")) done += 1;
    });
    if (done === groups.length) return "rated";
    return done ? "unfinished" : "open";
  }

  function Sieve(form) {
    this.form = form;
    this.steps = Array.prototype.slice.call(form.querySelectorAll("article.measure"));
    this.current = 0;
    this.mode = "steps";
    this.nav = null;
    this.toggle = null;
    this.timer = 0;
  }

  Sieve.prototype.count = function () {
    var rated = 0;
    var skipped = 0;
    this.steps.forEach(function (article) {
      var state = measureState(article);
      article.classList.toggle("skipped", state === "skipped");
      article.classList.toggle("rated", state === "rated");
      if (state === "rated") rated += 1;
      if (state === "skipped") skipped += 1;
    });
    var nRated = this.form.querySelector(".n-rated");
    var nSkipped = this.form.querySelector(".n-skipped");
    var line = this.form.querySelector(".skipped-line");
    if (nRated) nRated.textContent = String(rated);
    if (nSkipped) nSkipped.textContent = String(skipped);
    if (line) line.hidden = skipped === 0;
  };

  Sieve.prototype.build = function () {
    var template = document.getElementById("step-nav");
    var toggleTemplate = document.getElementById("step-toggle");
    if (!template || !toggleTemplate || !this.steps.length) return false;
    this.nav = template.content.firstElementChild.cloneNode(true);
    this.toggle = toggleTemplate.content.firstElementChild.cloneNode(true);
    var firstGroup = this.form.querySelector("section.sieve-group");
    var tally = this.form.querySelector("#tally");
    this.form.insertBefore(this.toggle, firstGroup);
    this.form.insertBefore(this.nav, tally);
    var self = this;
    this.nav.querySelector("[data-go=prev]").addEventListener("click", function () {
      self.go(self.current - 1);
    });
    this.nav.querySelector("[data-go=next]").addEventListener("click", function () {
      if (self.current === self.steps.length - 1) {
        var send = self.form.querySelector("#tally button.send");
        if (send) send.focus();
      } else {
        self.go(self.current + 1);
      }
    });
    this.toggle.addEventListener("click", function () {
      self.setMode(self.mode === "steps" ? "list" : "steps");
      self.save();
    });
    document.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#m-']");
      if (!link || self.mode !== "steps") return;
      var index = self.indexOf(link.getAttribute("href").slice(3));
      if (index < 0) return;
      event.preventDefault();
      self.go(index);
    });
    return true;
  };

  Sieve.prototype.indexOf = function (measureId) {
    for (var i = 0; i < this.steps.length; i += 1) {
      if (this.steps[i].getAttribute("data-measure") === String(measureId)) return i;
    }
    return -1;
  };

  Sieve.prototype.setMode = function (mode) {
    this.mode = mode;
    this.form.classList.toggle("stepping", mode === "steps");
    var steps = mode === "steps";
    this.toggle.textContent = this.toggle.getAttribute(steps ? "data-to-list" : "data-to-steps");
    this.toggle.setAttribute("aria-pressed", steps ? "false" : "true");
    this.nav.hidden = !steps;
    this.show();
  };

  Sieve.prototype.show = function () {
    var self = this;
    var steps = this.mode === "steps";
    this.steps.forEach(function (article, i) {
      article.hidden = steps && i !== self.current;
    });
    this.form.querySelectorAll("section.sieve-group").forEach(function (section) {
      section.hidden = steps && !section.contains(self.steps[self.current]);
    });
    if (!steps) return;
    var where = this.nav.querySelector(".step-where");
    where.textContent = where
      .getAttribute("data-text")
      .replace("%(n)s", String(this.current + 1))
      .replace("%(total)s", String(this.steps.length));
    var prev = this.nav.querySelector("[data-go=prev]");
    var next = this.nav.querySelector("[data-go=next]");
    prev.disabled = this.current === 0;
    next.textContent = next.getAttribute(
      this.current === this.steps.length - 1 ? "data-last" : "data-next"
    );
  };

  Sieve.prototype.go = function (index) {
    if (index < 0 || index >= this.steps.length) return;
    this.current = index;
    this.show();
    this.save();
    var heading = this.steps[index].querySelector("h3");
    var section = this.steps[index].closest("section.sieve-group") || this.steps[index];
    section.scrollIntoView({ block: "start" });
    if (heading) heading.focus({ preventScroll: true });
  };

  Sieve.prototype.save = function () {
    saveDraft(this.form, { step: this.current, mode: this.mode });
  };

  function setUpSieve(form, draft) {
    var sieve = new Sieve(form);
    form.addEventListener("change", function (event) {
      var article = event.target.closest("article.measure");
      if (!article) return;
      if (event.target.name && event.target.name.indexOf("skip-") === 0) {
        if (event.target.checked) {
          article.querySelectorAll("input[type=radio]").forEach(function (radio) {
            radio.checked = false;
          });
        }
      } else if (event.target.type === "radio") {
        var skip = article.querySelector("input[name^='skip-']");
        if (skip) skip.checked = false;
      }
      sieve.count();
      sieve.save();
      var state = measureState(article);
      var index = sieve.steps.indexOf(article);
      if (sieve.mode === "steps" && (state === "rated" || state === "skipped")) {
        window.clearTimeout(sieve.timer);
        sieve.timer = window.setTimeout(function () {
          if (sieve.current === index && index < sieve.steps.length - 1) sieve.go(index + 1);
          else if (index === sieve.steps.length - 1) {
            var send = form.querySelector("#tally button.send");
            if (send) send.focus();
          }
        }, 600);
      }
    });
    sieve.count();
    if (!sieve.build()) return;
    var problem = form.querySelector("article.has-problem");
    if (problem) sieve.current = sieve.steps.indexOf(problem);
    else if (draft && typeof draft.step === "number") {
      sieve.current = Math.min(Math.max(0, draft.step), sieve.steps.length - 1);
    }
    sieve.setMode(draft && draft.mode === "list" ? "list" : "steps");
    form.sieve = sieve;
  }


  function saveDraft(form, extra) {
    var key = form.getAttribute("data-draft");
    var old = readDraft(key) || {};
    var draft = { fields: fieldsOf(form), step: old.step, mode: old.mode };
    if (extra) {
      if ("step" in extra) draft.step = extra.step;
      if ("mode" in extra) draft.mode = extra.mode;
    }
    writeDraft(key, draft);
  }

  function setUp() {
    document.querySelectorAll("[data-js-only]").forEach(function (el) {
      el.hidden = false;
    });
    document.querySelectorAll("[data-clear-draft]").forEach(function (el) {
      if (STORE) STORE.removeItem(el.getAttribute("data-clear-draft"));
    });
    var form = document.querySelector("form.ballot[data-draft]");
    if (!form) return;
    var key = form.getAttribute("data-draft");
    var draft = readDraft(key);
    var refused = document.getElementById("ballot-error");
    if (draft && !refused) {
      putBack(form, draft.fields);
      form.classList.add("restored");
      var note = document.getElementById("draft-restored");
      if (note) note.hidden = false;
    }
    form.addEventListener("input", function () {
      saveDraft(form);
    });
    form.addEventListener("change", function () {
      saveDraft(form);
    });
    if (form.classList.contains("ballot-wegen")) setUpSteppers(form);
    if (form.classList.contains("ballot-zeven")) setUpSieve(form, draft);
    if (draft && !refused && !form.classList.contains("ballot-zeven")) {
      var first = form.querySelector("input:not([type=hidden])");
      if (first) window.setTimeout(function () { fire(first, "change"); }, 0);
    }
  }

  var TRIES = 8;

  function sendInPage(form, button) {
    var status = document.getElementById("send-status");
    var body = new URLSearchParams(new FormData(form));
    var tries = 0;
    button.disabled = sending = true;
    function say(text) {
      if (status && text) {
        var actions = form.querySelector("#tally .tally-actions");
        if (actions && status.nextElementSibling !== actions) {
          actions.parentNode.insertBefore(status, actions);
        }
        status.textContent = text;
        status.hidden = false;
      }
    }
    function again(seconds, text) {
      tries += 1;
      if (tries >= TRIES) {
        button.disabled = sending = false;
        say(status && status.getAttribute("data-gave-up"));
        return;
      }
      say(text);
      window.setTimeout(attempt, seconds * 1000);
    }
    function attempt() {
      window
        .fetch(form.action, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
        })
        .then(function (response) {
          if (response.status === 503) {
            var wait = parseInt(response.headers.get("Retry-After") || "2", 10);
            again(Math.min(Math.max(isNaN(wait) ? 2 : wait, 1), 30),
              status && status.getAttribute("data-busy"));
          } else if (response.ok && response.redirected) {
            window.location.assign(response.url);
          } else {
            form.submit();
          }
        })
        .catch(function () {
          again(3, status && status.getAttribute("data-offline"));
        });
    }
    attempt();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.ballot[data-draft]") || !window.fetch) return;
    var button = event.submitter;
    if (!button || !button.classList.contains("send") || button.hasAttribute("formaction")) return;
    event.preventDefault();
    sendInPage(form, button);
  });

  // A part is not replaced under a finger: a tap whose press and release land on two copies of
  // a button is no tap, so a swap waits until the press ends. Once a ballot is on its way, no
  // preview replaces its disabled button.
  var pressed = false;
  var held = [];
  var sending = false;
  function release() {
    pressed = false;
    var parts = held;
    held = [];
    if (parts.length) window.setTimeout(function () { parts.forEach(swap); }, 0);
  }
  document.addEventListener("pointerdown", function () { pressed = true; }, true);
  document.addEventListener("pointerup", release, true);
  document.addEventListener("pointercancel", release, true);

  function swap(html) {
    if (pressed) return held.push(html);
    var holder = document.createElement("template");
    holder.innerHTML = html;
    Array.prototype.slice.call(holder.content.children).forEach(function (el) {
      var old = el.id && document.getElementById(el.id);
      if (!old) return;
      el.removeAttribute("hx-swap-oob");
      old.replaceWith(el);
    });
    settled();
  }

  function live(url, init) {
    init = init || {};
    init.credentials = "same-origin";
    init.cache = "no-store";
    init.headers = { "HX-Request": "true" };
    return window.fetch(url, init);
  }

  function setUpTally(form) {
    var url = form.getAttribute("data-preview");
    var timer = 0;
    var asked = 0;
    function ask() {
      var mine = (asked += 1);
      live(url, { method: "POST", body: new URLSearchParams(new FormData(form)) })
        .then(function (r) {
          return r.status === 200 ? r.text() : null;
        })
        .then(function (html) {
          if (html !== null && mine === asked && !sending) swap(html);
        })
        .catch(function () {});
    }
    function later(ms) {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, ms);
    }
    form.addEventListener("input", function () { later(400); });
    form.addEventListener("change", function () { later(0); });
  }

  var FAST = 2000;
  var SLOW = 5000;

  function follow(el) {
    var parts = el.getAttribute("data-follow").split("?v=");
    var then = el.getAttribute("data-then");
    var sig = parts[1] || "";
    var wait = FAST;
    var timer = 0;
    var done = false;
    function next(ms) {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, ms * (0.8 + Math.random() * 0.4));
    }
    function changed(r) {
      if (!then) return window.location.reload();
      sig = (r.headers.get("ETag") || "").replace(/"/g, "");
      return live(then).then(function (s) {
        if (s.status !== 200) return next((wait = FAST));
        return s.text().then(function (html) {
          swap(html);
          done = document.querySelector(".closed-notice") !== null;
          if (!done) next((wait = FAST));
        });
      });
    }
    function ask() {
      done = done || document.querySelector(".closed-notice") !== null;
      if (document.hidden || done) return;
      live(parts[0] + "?v=" + sig)
        .then(function (r) {
          if (r.status === 200) return changed(r);
          var busy = parseInt(r.headers.get("Retry-After") || "", 10) * 1000;
          wait = busy > 0 ? Math.max(busy, SLOW) : Math.min(wait * 1.5, SLOW);
          next(wait);
        })
        .catch(function () { next((wait = SLOW)); });
    }
    function wake() {
      if (!document.hidden && !done) next((wait = FAST) / 10);
    }
    document.addEventListener("visibilitychange", wake);
    window.addEventListener("focus", wake);
    next(wait);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUp();
    var form = document.querySelector("form.ballot[data-preview]");
    if (form) setUpTally(form);
    var el = document.querySelector("[data-follow]");
    if (el && window.fetch) follow(el);
  });

  function settled() {
    var form = document.querySelector("form.ballot-wegen");
    if (form) {
      markInvalidPoints(form);
      if (form.getAttribute("data-focus-send")) {
        form.removeAttribute("data-focus-send");
        var send = form.querySelector("#tally button.send");
        if (send) send.focus();
      }
    }
    var closed = document.querySelector(".closed-notice:not([data-seen])");
    if (closed) {
      closed.setAttribute("data-seen", "1");
      document.querySelectorAll("p.notice[role=status]").forEach(function (note) {
        note.hidden = true;
      });
      document.querySelectorAll("form.ballot button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
      closed.focus();
    }
  }
})();
