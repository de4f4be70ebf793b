/* Tongxin self-test quiz: progressive enhancement of the markup in _quiz.html.
   Without this script readers see each question, its options and the answer in a <details>.
   With it, options become radio buttons (or checkboxes for several answers), a button checks
   them, each question says whether it was right, and the score is announced through an
   aria-live region. Interface strings come from the quiz's data-label-* attributes, so the
   script holds no language of its own. */
(function () {
  "use strict";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function expected(question) {
    return (question.getAttribute("data-answer") || "")
      .split(",")
      .filter(function (s) { return s !== ""; })
      .map(Number)
      .sort();
  }

  function enhanceQuestion(question, quizIndex, qIndex) {
    var prompt = question.querySelector(".quiz-prompt");
    var list = question.querySelector(".quiz-options");
    if (!prompt || !list) return null;
    var multiple = question.hasAttribute("data-multiple");
    var name = "quiz" + quizIndex + "-q" + qIndex;

    var fieldset = document.createElement("fieldset");
    var legend = document.createElement("legend");
    while (prompt.firstChild) legend.appendChild(prompt.firstChild);
    fieldset.appendChild(legend);

    var letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    Array.prototype.forEach.call(list.children, function (item, i) {
      var label = document.createElement("label");
      label.className = "quiz-choice";
      var input = document.createElement("input");
      input.type = multiple ? "checkbox" : "radio";
      input.name = name;
      input.value = String(i);
      label.appendChild(input);
      var text = document.createElement("span");
      text.textContent = letters.charAt(i) + ". " + item.textContent.trim();
      label.appendChild(text);
      fieldset.appendChild(label);
    });

    var result = document.createElement("p");
    result.className = "quiz-result";
    result.id = name + "-result";
    fieldset.setAttribute("aria-describedby", result.id);

    prompt.replaceWith(fieldset);
    list.remove();
    fieldset.after(result);

    // The answer stays hidden until the reader has checked; then it opens with its explanation.
    var details = question.querySelector(".quiz-answer");
    if (details) details.hidden = true;
    return { question: question, fieldset: fieldset, result: result, details: details };
  }

  function enhance(quiz, quizIndex) {
    var labels = {
      check: quiz.getAttribute("data-label-check") || "Check",
      reset: quiz.getAttribute("data-label-reset") || "Reset",
      correct: quiz.getAttribute("data-label-correct") || "Correct",
      incorrect: quiz.getAttribute("data-label-incorrect") || "Incorrect",
      unanswered: quiz.getAttribute("data-label-unanswered") || "Not answered",
      score: quiz.getAttribute("data-label-score") || "{correct} / {total}"
    };
    var items = [];
    Array.prototype.forEach.call(quiz.querySelectorAll(".quiz-question"), function (q, i) {
      var item = enhanceQuestion(q, quizIndex, i + 1);
      if (item) items.push(item);
    });
    if (!items.length) return;

    var form = document.createElement("form");
    form.className = "quiz-form";
    form.noValidate = true;
    var questions = quiz.querySelector(".quiz-questions");
    questions.replaceWith(form);
    form.appendChild(questions);

    var actions = document.createElement("div");
    actions.className = "quiz-actions";
    var check = document.createElement("button");
    check.type = "submit";
    check.textContent = labels.check;
    var reset = document.createElement("button");
    reset.type = "reset";
    reset.className = "secondary";
    reset.textContent = labels.reset;
    actions.appendChild(check);
    actions.appendChild(reset);
    form.appendChild(actions);

    var score = document.createElement("p");
    score.className = "quiz-score";
    score.setAttribute("role", "status");
    score.setAttribute("aria-live", "polite");
    form.appendChild(score);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var correct = 0;
      items.forEach(function (item) {
        var chosen = Array.prototype.filter
          .call(item.fieldset.querySelectorAll("input"), function (input) { return input.checked; })
          .map(function (input) { return Number(input.value); })
          .sort();
        var want = expected(item.question);
        var right = chosen.length === want.length && chosen.every(function (v, i) { return v === want[i]; });
        if (right) correct += 1;
        item.result.textContent = chosen.length ? (right ? labels.correct : labels.incorrect) : labels.unanswered;
        item.result.className = "quiz-result " + (right ? "is-correct" : "is-incorrect");
        item.fieldset.setAttribute("aria-invalid", right ? "false" : "true");
        if (item.details) {
          item.details.hidden = false;
          item.details.open = !right;
        }
      });
      score.textContent = fill(labels.score, { correct: correct, total: items.length });
    });

    form.addEventListener("reset", function () {
      items.forEach(function (item) {
        item.result.textContent = "";
        item.result.className = "quiz-result";
        item.fieldset.removeAttribute("aria-invalid");
        if (item.details) {
          item.details.open = false;
          item.details.hidden = true;
        }
      });
      score.textContent = "";
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-quiz]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
